"""Numbers that answered STOP to an invitation SMS (a keyed digest of each).

Revision ID: 0002_invitation_opt_outs
Revises: 0001_vvs_invitations
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_invitation_opt_outs"
down_revision = "0001_vvs_invitations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitation_opt_outs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("digest", name="uq_invitation_opt_outs_digest"),
    )


def downgrade():
    op.drop_table("invitation_opt_outs")
