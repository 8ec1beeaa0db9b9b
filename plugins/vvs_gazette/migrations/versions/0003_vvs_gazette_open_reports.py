"""The open reports of the gazette, indexed apart: the badge of « Annonces signalées », on
every page of a moderator, and the list of the communities they wait in counted them among
every report ever made (nearly all decided: a sequential scan). A partial index holds the
open ones only, by community and age.

Revision ID: 0003_vvs_gazette_open_reports
Revises: 0002_vvs_gazette_page_index
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_vvs_gazette_open_reports"
down_revision = "0002_vvs_gazette_page_index"
branch_labels = None
depends_on = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade():
    op.create_index("ix_gazette_reports_open", "gazette_reports", ["community_id", "created_at"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    op.drop_index("ix_gazette_reports_open", table_name="gazette_reports")
