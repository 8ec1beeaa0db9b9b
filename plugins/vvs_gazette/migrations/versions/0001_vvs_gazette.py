"""Gazette: posts, photos, replies, reports.

Revision ID: 0001_vvs_gazette
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_gazette"
down_revision = None
branch_labels = ("vvs_gazette",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "gazette_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_gazette_posts_community_id_communities"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_gazette_posts_author_id_users"), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("event_at", TZ),
        sa.Column("expires_on", sa.Date),
        sa.Column("photo_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hidden_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ),
    )
    op.create_index("ix_gazette_posts_community_created", "gazette_posts", ["community_id", "created_at"])
    op.create_index("ix_gazette_posts_author_id", "gazette_posts", ["author_id"])
    op.create_table(
        "gazette_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("gazette_posts.id", ondelete="CASCADE", name="fk_gazette_photos_post_id_gazette_posts"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("mime", sa.String(20), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("post_id", "position", name="uq_gazette_photos_post_position"),
    )
    op.create_table(
        "gazette_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("gazette_posts.id", ondelete="CASCADE", name="fk_gazette_replies_post_id_gazette_posts"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_gazette_replies_author_id_users"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hidden_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_gazette_replies_post_id", "gazette_replies", ["post_id"])
    op.create_index("ix_gazette_replies_author_id", "gazette_replies", ["author_id"])
    op.create_table(
        "gazette_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_gazette_reports_community_id_communities"), nullable=False),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("gazette_posts.id", ondelete="CASCADE", name="fk_gazette_reports_post_id_gazette_posts"), nullable=False),
        sa.Column("reply_id", sa.Integer, sa.ForeignKey("gazette_replies.id", ondelete="CASCADE", name="fk_gazette_reports_reply_id_gazette_replies")),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("users.id", name="fk_gazette_reports_reporter_id_users"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
        sa.Column("resolved_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_gazette_reports_resolved_by_id_users")),
    )
    op.create_index("ix_gazette_reports_community_id", "gazette_reports", ["community_id"])
    op.create_index("ix_gazette_reports_post_id", "gazette_reports", ["post_id"])


def downgrade():
    for table in ("gazette_reports", "gazette_replies", "gazette_photos", "gazette_posts"):
        op.drop_table(table)
