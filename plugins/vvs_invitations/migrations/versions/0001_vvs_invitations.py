"""Invitations sent by members (e-mail, SMS, shareable link of the flyer), moved from
the core's revision 0002_invitations.

Databases migrated before invitations became a plugin already hold ``invitations``
(created by the core's 0002): the table and its rows are kept as they are.

Revision ID: 0001_vvs_invitations
Revises:
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_invitations"
down_revision = None
branch_labels = ("vvs_invitations",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    if sa.inspect(op.get_bind()).has_table("invitations"):
        return
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_invitations_community_id_communities"), nullable=False),
        sa.Column("sender_id", sa.Integer, sa.ForeignKey("users.id", name="fk_invitations_sender_id_users"), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(254), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("accepted_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_accepted_at", TZ),
        sa.UniqueConstraint("code", name="uq_invitations_code"),
    )
    op.create_index("ix_invitations_community_id", "invitations", ["community_id"])
    op.create_index("ix_invitations_sender_id", "invitations", ["sender_id"])


def downgrade():
    op.drop_table("invitations")
