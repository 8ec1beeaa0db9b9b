"""Register of vulnerable residents: the lists of registered people to reach first
(a roll-call or a crisis), read by the CCAS on the register's page.

Revision ID: 0002_vvs_vulnerable_lists
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_vulnerable_lists"
down_revision = "0001_vvs_vulnerable"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vulnerable_priority_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer,
                  sa.ForeignKey("communes.id", name="fk_vulnerable_priority_lists_commune_id_communes"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("entry_ids", sa.JSON, nullable=False),
    )
    op.create_index("ix_vulnerable_priority_lists_commune_id", "vulnerable_priority_lists", ["commune_id"])


def downgrade():
    op.drop_table("vulnerable_priority_lists")
