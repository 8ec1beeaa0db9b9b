"""Commune alerts: the official source they relay (named on everything sent), the
exercise flag, and no author for an alert relayed automatically.

Revision ID: 0004_vvs_mairie_source_exercise
Revises: 0003_vvs_mairie_alert_follow_up
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_vvs_mairie_source_exercise"
down_revision = "0003_vvs_mairie_alert_follow_up"
branch_labels = None
depends_on = None
# SQLite copies the table: reflect it alone, not the tables its keys name (users has an
# index on lower(email) that SQLAlchemy cannot reflect and warns about; the copy needs none).
ALONE = {"reflect_kwargs": {"resolve_fks": False}}


def upgrade():
    with op.batch_alter_table("mairie_alerts", **ALONE) as batch:
        batch.add_column(sa.Column("source", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("exercise", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.alter_column("author_id", existing_type=sa.Integer, nullable=True)


def downgrade():
    with op.batch_alter_table("mairie_alerts", **ALONE) as batch:
        batch.drop_column("exercise")
        batch.drop_column("source")
