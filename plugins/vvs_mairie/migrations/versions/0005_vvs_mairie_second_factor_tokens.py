"""API tokens created by an agent after the second factor (vvs_api's hook
vvs_api_token_issued): their requests get the agent's principals.

Revision ID: 0005_vvs_mairie_sf_tokens
Revises: 0004_vvs_mairie_source_exercise
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op


revision = "0005_vvs_mairie_sf_tokens"
down_revision = "0004_vvs_mairie_source_exercise"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mairie_second_factor_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_second_factor_tokens_user_id_users"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_id", name="uq_mairie_second_factor_tokens_token_id"),
    )
    op.create_index("ix_mairie_second_factor_tokens_user_id", "mairie_second_factor_tokens", ["user_id"])


def downgrade():
    op.drop_index("ix_mairie_second_factor_tokens_user_id", "mairie_second_factor_tokens")
    op.drop_table("mairie_second_factor_tokens")
