"""Accounts run at the mairie desk (issue 18.4): the accounts, the agents' sessions on
their behalf (reason, expiry) and what each session changed.

Revision ID: 0009_vvs_mairie_desk
Revises: 0008_vvs_mairie_totp_fernet
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_vvs_mairie_desk"
down_revision = "0008_vvs_mairie_totp_fernet"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def fk(table, column, target):
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade():
    op.create_table(
        "mairie_desk_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, fk("mairie_desk_accounts", "user_id", "users"), nullable=False),
        sa.Column("commune_id", sa.Integer, fk("mairie_desk_accounts", "commune_id", "communes"), nullable=False),
        sa.Column("created_by_id", sa.Integer, fk("mairie_desk_accounts", "created_by_id", "users")),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("handed_over_at", TZ),
        sa.UniqueConstraint("user_id", name="uq_mairie_desk_accounts_user_id"),
    )
    op.create_index("ix_mairie_desk_accounts_commune_id", "mairie_desk_accounts", ["commune_id"])
    op.create_table(
        "mairie_desk_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, fk("mairie_desk_sessions", "account_id", "mairie_desk_accounts"),
                  nullable=False),
        sa.Column("agent_user_id", sa.Integer, fk("mairie_desk_sessions", "agent_user_id", "users"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
    )
    op.create_index("ix_mairie_desk_sessions_account_id", "mairie_desk_sessions", ["account_id"])
    op.create_index("ix_mairie_desk_sessions_agent_user_id", "mairie_desk_sessions", ["agent_user_id"])
    op.create_table(
        "mairie_desk_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, fk("mairie_desk_actions", "session_id", "mairie_desk_sessions"),
                  nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
    )
    op.create_index("ix_mairie_desk_actions_session_id", "mairie_desk_actions", ["session_id"])


def downgrade():
    op.drop_table("mairie_desk_actions")
    op.drop_table("mairie_desk_sessions")
    op.drop_table("mairie_desk_accounts")
