"""Alerts of a commune, newest first (the mairie's dashboard, live feed and monthly
report ask ``commune_id = … AND created_at >= … ORDER BY created_at DESC``): with
``commune_id`` alone PostgreSQL read every alert of the commune and sorted them.

Revision ID: 0004_vvs_alerts_commune_created
"""
from alembic import op

revision = "0004_vvs_alerts_commune_created"
down_revision = "0003_vvs_alerts_mod_policies"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_alerts_commune_id", table_name="alerts")
    op.create_index("ix_alerts_commune_created", "alerts", ["commune_id", "created_at"])


def downgrade():
    op.drop_index("ix_alerts_commune_created", table_name="alerts")
    op.create_index("ix_alerts_commune_id", "alerts", ["commune_id"])
