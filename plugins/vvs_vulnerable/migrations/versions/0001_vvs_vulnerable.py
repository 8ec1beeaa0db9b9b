"""Register of vulnerable residents: sealed entries and the log of readings.

Revision ID: 0001_vvs_vulnerable
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_vulnerable"
down_revision = None
branch_labels = ("vvs_vulnerable",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def _user(column: str, table: str) -> sa.Column:
    return sa.Column(column, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL",
                                                       name=f"fk_{table}_{column}_users"))


def upgrade():
    op.create_table(
        "vulnerable_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_vulnerable_entries_commune_id_communes"),
                  nullable=False),
        _user("user_id", "vulnerable_entries"),
        _user("created_by_id", "vulnerable_entries"),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("active_from", TZ, nullable=False),
        sa.Column("informed_at", TZ),
        sa.Column("objection_token_hash", sa.String(64)),
        sa.Column("closed_at", TZ),
        sa.Column("next_review_at", TZ, nullable=False),
        sa.Column("reviewed_at", TZ),
        sa.UniqueConstraint("objection_token_hash", name="uq_vulnerable_entries_objection_token_hash"),
    )
    for column in ("commune_id", "user_id", "created_by_id"):
        op.create_index(f"ix_vulnerable_entries_{column}", "vulnerable_entries", [column])
    op.create_table(
        "vulnerable_readings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_vulnerable_readings_commune_id_communes"),
                  nullable=False),
        _user("reader_id", "vulnerable_readings"),
        sa.Column("reader_name", sa.String(240), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entry_id", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_vulnerable_readings_commune_id", "vulnerable_readings", ["commune_id"])
    op.create_index("ix_vulnerable_readings_at", "vulnerable_readings", ["at"])


def downgrade():
    op.drop_table("vulnerable_readings")
    op.drop_table("vulnerable_entries")
