"""Plan communal de sauvegarde: crisis cell, message templates, crises and their main courante.

Revision ID: 0001_vvs_pcs
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_pcs"
down_revision = None
branch_labels = ("vvs_pcs",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def _user(column: str, table: str) -> sa.Column:
    return sa.Column(column, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL",
                                                       name=f"fk_{table}_{column}_users"))


def _commune(table: str) -> sa.Column:
    return sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name=f"fk_{table}_commune_id_communes"),
                     nullable=False)


def upgrade():
    op.create_table(
        "pcs_cell_members",
        sa.Column("id", sa.Integer, primary_key=True),
        _commune("pcs_cell_members"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("function", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        _user("added_by_id", "pcs_cell_members"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_pcs_cell_members_commune_id", "pcs_cell_members", ["commune_id"])
    op.create_table(
        "pcs_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        _commune("pcs_templates"),
        sa.Column("title", sa.String(140), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _user("added_by_id", "pcs_templates"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_pcs_templates_commune_id", "pcs_templates", ["commune_id"])
    op.create_table(
        "pcs_crises",
        sa.Column("id", sa.Integer, primary_key=True),
        _commune("pcs_crises"),
        sa.Column("title", sa.String(140), nullable=False),
        sa.Column("exercise", sa.Boolean, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        _user("started_by_id", "pcs_crises"),
        sa.Column("ended_at", TZ),
        _user("ended_by_id", "pcs_crises"),
        sa.Column("alert_ids", sa.JSON, nullable=False),
        sa.Column("log_pdf", sa.LargeBinary),
    )
    op.create_index("ix_pcs_crises_commune_id", "pcs_crises", ["commune_id"])
    op.create_index("uq_pcs_crises_open", "pcs_crises", ["commune_id"], unique=True,
                    postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL"))
    op.create_table(
        "pcs_log_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("crisis_id", sa.Integer, sa.ForeignKey("pcs_crises.id", ondelete="CASCADE",
                                                         name="fk_pcs_log_entries_crisis_id_pcs_crises"),
                  nullable=False),
        sa.Column("at", TZ, nullable=False),
        _user("author_id", "pcs_log_entries"),
        sa.Column("author_name", sa.String(240), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_pcs_log_entries_crisis_id", "pcs_log_entries", ["crisis_id"])


def downgrade():
    op.drop_table("pcs_log_entries")
    op.drop_table("pcs_crises")
    op.drop_table("pcs_templates")
    op.drop_table("pcs_cell_members")
