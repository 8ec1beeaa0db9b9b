"""vvs_sms_ovh: ids of the inbound SMS already handled; the journal of posted jobs.

Revision ID: 0001_vvs_sms_ovh
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_sms_ovh"
down_revision = None
branch_labels = ("vvs_sms_ovh",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "ovh_inbound_sms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("provider_id", name="uq_ovh_inbound_sms_provider_id"),
    )
    op.create_table(
        "ovh_sms_journal",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("receiver", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ovh_sms_journal_created_at", "ovh_sms_journal", ["created_at"])


def downgrade():
    op.drop_table("ovh_sms_journal")
    op.drop_table("ovh_inbound_sms")
