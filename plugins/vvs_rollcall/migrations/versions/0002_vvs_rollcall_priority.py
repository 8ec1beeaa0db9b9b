"""People who come first in a roll-call (the register of vulnerable residents, through ``vvs_vulnerable_tell_ccas``).

Revision ID: 0002_vvs_rollcall_priority
Revises: 0001_vvs_rollcall
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_rollcall_priority"
down_revision = "0001_vvs_rollcall"
branch_labels = None
depends_on = None
# SQLite copies the table: reflect it alone, not the tables its keys name (users has an
# index on lower(email) that SQLAlchemy cannot reflect and warns about; the copy needs none).
ALONE = {"reflect_kwargs": {"resolve_fks": False}}


def upgrade():
    with op.batch_alter_table("rollcall_people", **ALONE) as batch:
        batch.add_column(sa.Column("priority", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("rollcall_people", **ALONE) as batch:
        batch.drop_column("priority")
