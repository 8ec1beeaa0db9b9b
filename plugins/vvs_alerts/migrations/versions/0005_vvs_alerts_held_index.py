"""The held alerts, indexed apart: the moderators' queue and its badge on every page of a
moderator read them among every alert of the platform (200,000 at national scale, a
sequential scan). A partial index: it holds the held alerts only, a handful.

Revision ID: 0005_vvs_alerts_held_index
Revises: 0004_vvs_alerts_commune_created
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_vvs_alerts_held_index"
down_revision = "0004_vvs_alerts_commune_created"
branch_labels = None
depends_on = None

HELD = sa.text("status = 'held'")


def upgrade():
    op.create_index("ix_alerts_held", "alerts", ["created_at", "id"], postgresql_where=HELD, sqlite_where=HELD)


def downgrade():
    op.drop_index("ix_alerts_held", table_name="alerts")
