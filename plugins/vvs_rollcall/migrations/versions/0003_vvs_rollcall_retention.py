"""How long a commune keeps its closed roll-calls (empty: the operator's vvs.rollcall.retention_days).

Revision ID: 0003_vvs_rollcall_retention
Revises: 0002_vvs_rollcall_priority
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_vvs_rollcall_retention"
down_revision = "0002_vvs_rollcall_priority"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rollcall_settings") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer))


def downgrade():
    with op.batch_alter_table("rollcall_settings") as batch:
        batch.drop_column("retention_days")
