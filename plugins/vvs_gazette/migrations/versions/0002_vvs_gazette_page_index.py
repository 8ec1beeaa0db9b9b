"""Gazette: the page's order (created_at, then id) read straight from an index.

The page asks for the newest 21 visible posts ordered by (created_at DESC, id DESC);
with (community_id, created_at) only, PostgreSQL read, joined and sorted every post
of the community. With id in the index it walks the index backwards and stops.

Revision ID: 0002_vvs_gazette_page_index
"""
from alembic import op

revision = "0002_vvs_gazette_page_index"
down_revision = "0001_vvs_gazette"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_gazette_posts_community_created", table_name="gazette_posts")
    op.create_index("ix_gazette_posts_community_created_id", "gazette_posts", ["community_id", "created_at", "id"])


def downgrade():
    op.drop_index("ix_gazette_posts_community_created_id", table_name="gazette_posts")
    op.create_index("ix_gazette_posts_community_created", "gazette_posts", ["community_id", "created_at"])
