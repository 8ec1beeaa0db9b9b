"""Core tables: users, tokens, communes, communities, memberships, events, notifications.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_core"
down_revision = None
branch_labels = ("vvs_core",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    postgis = op.get_bind().dialect.name == "postgresql"
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("first_name", sa.String(80), nullable=False, server_default=""),
        sa.Column("last_name", sa.String(80), nullable=False, server_default=""),
        sa.Column("pseudonym", sa.String(80), nullable=False, server_default=""),
        sa.Column("mobile", sa.String(20)),
        sa.Column("landline", sa.String(20)),
        sa.Column("hide_mobile", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hide_landline", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("address_label", sa.String(255), nullable=False, server_default=""),
        sa.Column("home", Geometry("POINT")),
        sa.Column("presentation", sa.Text, nullable=False, server_default=""),
        sa.Column("interests", sa.JSON),
        sa.Column("housing", sa.JSON),
        sa.Column("photo", sa.LargeBinary),
        sa.Column("notification_prefs", sa.JSON),
        sa.Column("newsletter", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("locale", sa.String(5), nullable=False, server_default="fr"),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_moderator", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("email_confirmed_at", TZ),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_login_at", TZ),
        sa.Column("closed_at", TZ),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_index("ix_users_mobile", "users", ["mobile"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
        sa.UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "communes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("insee", sa.String(5), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("postcodes", sa.JSON),
        sa.Column("centre", Geometry("POINT"), nullable=False),
        sa.Column("boundary", Geometry("GEOMETRY")),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("insee", name="uq_communes_insee"),
    )
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_communities_commune_id_communes"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("address_label", sa.String(255), nullable=False, server_default=""),
        sa.Column("boundary", Geometry("POLYGON"), nullable=False),
        sa.Column("validation_mode", sa.String(16), nullable=False, server_default="referent"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("boundary_changed_at", TZ, nullable=False),
    )
    op.create_index("ix_communities_commune_id", "communities", ["commune_id"])
    if postgis:
        op.execute("CREATE INDEX ix_communities_boundary ON communities USING gist (boundary)")
        op.execute("CREATE INDEX ix_communities_boundary_l93 ON communities USING gist (ST_Transform(boundary, 2154))")
        op.execute("CREATE INDEX ix_users_home ON users USING gist (home)")
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_memberships_user_id_users"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_memberships_community_id_communities"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="member"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_memberships_decided_by_id_users")),
        sa.Column("decision_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("escalated_at", TZ),
        sa.UniqueConstraint("user_id", "community_id", name="uq_memberships_user_community"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_index("ix_memberships_community_id", "memberships", ["community_id"])
    op.create_index("ix_memberships_status", "memberships", ["status"])
    op.create_table(
        "community_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_community_events_community_id_communities")),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id", name="fk_community_events_actor_id_users")),
        sa.Column("subject_user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_community_events_subject_user_id_users")),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_community_events_community_id", "community_events", ["community_id"])
    op.create_index("ix_community_events_kind", "community_events", ["kind"])
    op.create_index("ix_community_events_created_at", "community_events", ["created_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False, server_default=""),
        sa.Column("subject_id", sa.Integer),
        sa.Column("recipient_id", sa.Integer),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(254), nullable=False, server_default=""),
        sa.Column("title", sa.String(255), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("html", sa.Text),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("provider", sa.String(40), nullable=False, server_default=""),
        sa.Column("provider_ref", sa.String(120)),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("delivered_at", TZ),
        sa.Column("expires_at", TZ),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
    )
    op.create_index("ix_notifications_status_next", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_subject", "notifications", ["subject_type", "subject_id"])
    op.create_index("ix_notifications_recipient_id", "notifications", ["recipient_id"])
    op.create_index("ix_notifications_provider_ref", "notifications", ["provider_ref"])


def downgrade():
    for table in ("notifications", "community_events", "memberships", "communities", "communes", "tokens", "users"):
        op.drop_table(table)
