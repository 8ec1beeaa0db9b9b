"""How long each commune keeps its proofs of warning (issue 17.4).

Revision ID: 0007_vvs_mairie_proof_retention
Revises: 0006_vvs_mairie_contact
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_vvs_mairie_proof_retention"
down_revision = "0006_vvs_mairie_contact"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mairie_communes") as batch:
        batch.add_column(sa.Column("proof_retention_days", sa.Integer))


def downgrade():
    with op.batch_alter_table("mairie_communes") as batch:
        batch.drop_column("proof_retention_days")
