"""Followers by Web Push (a browser's push subscription), and who chose the mairie's
news too (issue 17.3).

Revision ID: 0002_vvs_followers_push
Revises: 0001_vvs_followers
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_followers_push"
down_revision = "0001_vvs_followers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("followers") as batch:
        batch.add_column(sa.Column("news", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("endpoint", sa.Text))
        batch.add_column(sa.Column("p256dh", sa.String(200)))
        batch.add_column(sa.Column("auth", sa.String(100)))


def downgrade():
    with op.batch_alter_table("followers") as batch:
        batch.drop_column("auth")
        batch.drop_column("p256dh")
        batch.drop_column("endpoint")
        batch.drop_column("news")
