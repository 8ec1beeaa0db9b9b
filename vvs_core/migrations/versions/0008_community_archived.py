"""A community archived by the platform team (issue 13.1): off the map, its members let go,
its history kept.

Revision ID: 0008_community_archived
Revises: 0007_provider_callbacks
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_community_archived"
down_revision = "0007_provider_callbacks"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("communities", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("archived_at")
