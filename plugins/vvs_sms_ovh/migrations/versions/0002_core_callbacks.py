"""vvs_sms_ovh: the ids of the inbound SMS already handled move to the core's
``provider_callbacks`` table (the core now serves the callbacks).

Revision ID: 0002_vvs_sms_ovh_core_callbacks
Revises: 0001_vvs_sms_ovh
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_sms_ovh_core_callbacks"
down_revision = "0001_vvs_sms_ovh"
branch_labels = None
depends_on = "0007_provider_callbacks"


def upgrade():
    op.execute(
        "INSERT INTO provider_callbacks (provider, what, ref, received_at, answered) "
        "SELECT 'ovh', 'inbound', provider_id, received_at, answered FROM ovh_inbound_sms")
    op.drop_table("ovh_inbound_sms")


def downgrade():
    op.create_table(
        "ovh_inbound_sms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("provider_id", name="uq_ovh_inbound_sms_provider_id"),
    )
    op.execute(
        "INSERT INTO ovh_inbound_sms (provider_id, received_at, answered) "
        "SELECT ref, received_at, answered FROM provider_callbacks WHERE provider = 'ovh' AND what = 'inbound'")
