"""Roll-call « Êtes-vous en sécurité ? »: settings per commune, roll-calls, people asked, log.

Revision ID: 0001_vvs_rollcall
Revises:
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_vvs_rollcall"
down_revision = None
branch_labels = ("vvs_rollcall",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade():
    op.create_table(
        "rollcall_settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, _fk("rollcall_settings", "commune_id", "communes"), nullable=False),
        sa.Column("waves", sa.JSON, nullable=False),
        sa.Column("referents_may_launch", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TZ),
        sa.Column("updated_by_id", sa.Integer, _fk("rollcall_settings", "updated_by_id", "users")),
        sa.UniqueConstraint("commune_id", name="uq_rollcall_settings_commune_id"),
    )
    op.create_table(
        "rollcalls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, _fk("rollcalls", "commune_id", "communes"), nullable=False),
        sa.Column("author_id", sa.Integer, _fk("rollcalls", "author_id", "users")),
        sa.Column("launched_as", sa.String(16), nullable=False, server_default="mairie"),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("community_ids", sa.JSON, nullable=False),
        sa.Column("area", Geometry("POLYGON")),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("exercise", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("waves", sa.JSON, nullable=False),
        sa.Column("waves_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("closed_at", TZ),
        sa.Column("closed_by_id", sa.Integer, _fk("rollcalls", "closed_by_id", "users")),
        sa.Column("summary", sa.JSON),
    )
    op.create_index("ix_rollcalls_commune_id", "rollcalls", ["commune_id"])
    op.create_index("ix_rollcalls_status", "rollcalls", ["status"])
    op.create_table(
        "rollcall_people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rollcall_id", sa.Integer, _fk("rollcall_people", "rollcall_id", "rollcalls"), nullable=False),
        sa.Column("user_id", sa.Integer, _fk("rollcall_people", "user_id", "users"), nullable=False),
        sa.Column("community_id", sa.Integer, _fk("rollcall_people", "community_id", "communities")),
        sa.Column("answer", sa.String(8)),
        sa.Column("answered_at", TZ),
        sa.Column("answered_via", sa.String(8)),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("rollcall_id", "user_id", name="uq_rollcall_people_rollcall_user"),
    )
    op.create_index("ix_rollcall_people_rollcall_id", "rollcall_people", ["rollcall_id"])
    op.create_index("ix_rollcall_people_user_id", "rollcall_people", ["user_id"])
    op.create_table(
        "rollcall_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rollcall_id", sa.Integer, _fk("rollcall_log", "rollcall_id", "rollcalls"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor_id", sa.Integer, _fk("rollcall_log", "actor_id", "users")),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_rollcall_log_rollcall_id", "rollcall_log", ["rollcall_id"])


def downgrade():
    op.drop_table("rollcall_log")
    op.drop_table("rollcall_people")
    op.drop_table("rollcalls")
    op.drop_table("rollcall_settings")
