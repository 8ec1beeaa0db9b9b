"""Push: the Web Push subscriptions of residents' devices (moved from the core's
revision 0003_api_tokens).

Databases migrated before push became a plugin already hold ``push_subscriptions``
(created by the core's 0003): the table and its rows are kept as they are.

Revision ID: 0001_vvs_push
Revises:
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_push"
down_revision = None
branch_labels = ("vvs_push",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    if sa.inspect(op.get_bind()).has_table("push_subscriptions"):
        return
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
