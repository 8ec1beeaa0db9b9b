"""The Web Push subscriptions of the installable web app.

This revision created the ``api_tokens`` table too; the table now belongs to the
vvs_api plugin's branch (``0001_vvs_api``), which creates it only where it is missing:
a database that ran this revision before keeps its tokens.

Revision ID: 0003_api_tokens
Revises: 0002_invitations
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_api_tokens"
down_revision = "0002_invitations"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_push_subscriptions_user_id_users"),
                  nullable=False),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("endpoint_hash", sa.String(64), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("label", sa.String(120), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_success_at", TZ),
        sa.UniqueConstraint("endpoint_hash", name="uq_push_subscriptions_endpoint_hash"),
    )
    op.create_index("ix_push_subscriptions_user_id", "push_subscriptions", ["user_id"])


def downgrade():
    op.drop_table("push_subscriptions")
