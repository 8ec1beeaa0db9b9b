"""Followers of a town hall without an account (issue 17.3).

Revision ID: 0001_vvs_followers
Revises:
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_vvs_followers"
down_revision = None
branch_labels = ("vvs_followers",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "followers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_followers_commune_id_communes"),
                  nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="pending"),
        sa.Column("home", Geometry("POINT")),
        sa.Column("secret_digest", sa.String(64)),
        sa.Column("secret_expires_at", TZ),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ),
        sa.UniqueConstraint("commune_id", "channel", "address", name="uq_followers_commune_channel_address"),
    )
    op.create_index("ix_followers_commune_id", "followers", ["commune_id"])
    op.create_index("ix_followers_channel_address", "followers", ["channel", "address"])


def downgrade():
    op.drop_table("followers")
