"""A commune's own time zone (issue 13.1): overseas communes live in theirs; NULL is the
instance's ``vvs.timezone``.

Revision ID: 0014_commune_time_zone
Revises: 0013_suspended_until
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_commune_time_zone"
down_revision = "0013_suspended_until"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("communes", sa.Column("time_zone", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("communes") as batch:
        batch.drop_column("time_zone")
