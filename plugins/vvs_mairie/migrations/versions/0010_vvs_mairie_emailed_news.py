"""A communication sent by e-mail to chosen communities is kept too (« Publiées »):
how it went (``channel``: gazette or email), to which communities, to how many.

Revision ID: 0010_vvs_mairie_emailed_news
Revises: 0009_vvs_mairie_desk
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_vvs_mairie_emailed_news"
down_revision = "0009_vvs_mairie_desk"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mairie_communications") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="gazette"))
        batch.add_column(sa.Column("community_ids", sa.JSON))
        batch.add_column(sa.Column("recipients", sa.Integer))


def downgrade():
    op.execute("DELETE FROM mairie_communications WHERE channel <> 'gazette'")
    with op.batch_alter_table("mairie_communications") as batch:
        for column in ("recipients", "community_ids", "channel"):
            batch.drop_column(column)
