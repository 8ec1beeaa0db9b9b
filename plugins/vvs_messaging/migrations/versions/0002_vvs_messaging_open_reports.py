"""The open reports of messages, indexed apart: the badge of « Messages signalés », on every
page of a moderator, counted them among every report ever made (nearly all decided: a
sequential scan). A partial index holds the open ones only, in the order of their list
(oldest first).

Revision ID: 0002_vvs_messaging_open_reports
Revises: 0001_vvs_messaging
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_messaging_open_reports"
down_revision = "0001_vvs_messaging"
branch_labels = None
depends_on = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade():
    op.create_index("ix_msg_reports_open", "msg_reports", ["created_at", "id"], postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    op.drop_index("ix_msg_reports_open", table_name="msg_reports")
