"""The last time step of an agent's accepted TOTP code: a code is used once.

Revision ID: 0002_vvs_mairie_totp_step
Revises: 0001_vvs_mairie
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_mairie_totp_step"
down_revision = "0001_vvs_mairie"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mairie_agents") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger))


def downgrade():
    with op.batch_alter_table("mairie_agents") as batch:
        batch.drop_column("totp_last_step")
