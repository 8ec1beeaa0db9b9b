"""A commune's contact at the town hall (name, e-mail, phone), set by the platform team.

Revision ID: 0005_commune_contact
Revises: 0004_leases
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_commune_contact"
down_revision = "0004_leases"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("communes", sa.Column("contact_name", sa.String(120), nullable=False, server_default=""))
    op.add_column("communes", sa.Column("contact_email", sa.String(254), nullable=False, server_default=""))
    op.add_column("communes", sa.Column("contact_phone", sa.String(20), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("communes") as batch:
        batch.drop_column("contact_phone")
        batch.drop_column("contact_email")
        batch.drop_column("contact_name")
