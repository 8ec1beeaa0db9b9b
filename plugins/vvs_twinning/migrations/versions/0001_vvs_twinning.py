"""Twinning: twinned communities.

Revision ID: 0001_vvs_twinning
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_twinning"
down_revision = None
branch_labels = ("vvs_twinning",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "twinnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_a_id", sa.Integer, sa.ForeignKey(
            "communities.id", name="fk_twinnings_community_a_id_communities"), nullable=False),
        sa.Column("community_b_id", sa.Integer, sa.ForeignKey(
            "communities.id", name="fk_twinnings_community_b_id_communities"), nullable=False),
        sa.Column("proposed_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_twinnings_proposed_by_id_users")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("open_pair", sa.String(40)),
        sa.Column("proposed_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
        sa.Column("ended_at", TZ),
        sa.UniqueConstraint("open_pair", name="uq_twinnings_open_pair"),
    )
    op.create_index("ix_twinnings_community_a_id", "twinnings", ["community_a_id"])
    op.create_index("ix_twinnings_community_b_id", "twinnings", ["community_b_id"])
    op.create_index("ix_twinnings_status", "twinnings", ["status"])


def downgrade():
    op.drop_table("twinnings")
