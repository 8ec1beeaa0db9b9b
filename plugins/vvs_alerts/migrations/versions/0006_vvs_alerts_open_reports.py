"""The open reports of alerts, indexed apart: the badge of « Alertes à modérer », on every
page of a moderator, looks for the alerts that have one among every report ever made (nearly
all handled). A partial index holds the open ones only, a handful; it replaces the index of
``handled`` (true or false), whose half of handled reports nothing reads.

Revision ID: 0006_vvs_alerts_open_reports
Revises: 0005_vvs_alerts_held_index
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_vvs_alerts_open_reports"
down_revision = "0005_vvs_alerts_held_index"
branch_labels = None
depends_on = None

# As ``AlertReport.handled.is_(False)`` is written in SQL: the planners use a partial index
# only when the query's condition is the index's.
OPEN_PG, OPEN_SQLITE = sa.text("handled IS false"), sa.text("handled IS 0")


def upgrade():
    op.create_index("ix_alert_reports_open", "alert_reports", ["alert_id"], postgresql_where=OPEN_PG,
                    sqlite_where=OPEN_SQLITE)
    op.drop_index("ix_alert_reports_handled", table_name="alert_reports")


def downgrade():
    op.create_index("ix_alert_reports_handled", "alert_reports", ["handled"])
    op.drop_index("ix_alert_reports_open", table_name="alert_reports")
