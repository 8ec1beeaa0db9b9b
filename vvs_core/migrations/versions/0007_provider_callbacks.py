"""Provider callbacks already handled (receipts, inbound SMS): one core table for the
replay protection of every provider (vvs_core.providers.callbacks).

Revision ID: 0007_provider_callbacks
Revises: 0006_hot_path_indexes
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_provider_callbacks"
down_revision = "0006_hot_path_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_callbacks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("what", sa.String(12), nullable=False),
        sa.Column("ref", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("provider", "what", "ref", name="uq_provider_callbacks_provider_what_ref"),
    )
    op.create_index("ix_provider_callbacks_received_at", "provider_callbacks", ["received_at"])


def downgrade():
    op.drop_table("provider_callbacks")
