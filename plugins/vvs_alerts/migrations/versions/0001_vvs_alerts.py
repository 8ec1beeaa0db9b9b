"""Alerts: alerts, updates, reports, moderation actions, posting suspensions, feed tokens.

Revision ID: 0001_vvs_alerts
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_vvs_alerts"
down_revision = None
branch_labels = ("vvs_alerts",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_alerts_community_id_communities"), nullable=False),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_alerts_commune_id_communes"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alerts_author_id_users")),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("place", Geometry("POINT")),
        sa.Column("severity", sa.String(12), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("published_at", TZ),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("all_clear_at", TZ),
        sa.Column("escalated_at", TZ),
        sa.Column("idempotency_key", sa.String(120), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("anonymised_at", TZ),
        sa.UniqueConstraint("idempotency_key", name="uq_alerts_idempotency_key"),
    )
    op.create_index("ix_alerts_community_status", "alerts", ["community_id", "status", "created_at"])
    op.create_index("ix_alerts_commune_id", "alerts", ["commune_id"])
    op.create_index("ix_alerts_author_id", "alerts", ["author_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_alerts_place ON alerts USING gist (place)")
    op.create_table(
        "alert_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", name="fk_alert_updates_alert_id_alerts"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_updates_author_id_users")),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_alert_updates_alert_id", "alert_updates", ["alert_id"])
    op.create_table(
        "alert_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", name="fk_alert_reports_alert_id_alerts"), nullable=False),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_reports_reporter_id_users")),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("handled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_alert_reports_alert_id", "alert_reports", ["alert_id"])
    op.create_index("ix_alert_reports_handled", "alert_reports", ["handled"])
    op.create_table(
        "alert_moderation_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id", name="fk_alert_moderation_actions_alert_id_alerts"), nullable=False),
        sa.Column("moderator_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_moderation_actions_moderator_id_users")),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("original_text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_alert_moderation_actions_alert_id", "alert_moderation_actions", ["alert_id"])
    op.create_table(
        "alert_posting_suspensions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_posting_suspensions_user_id_users"), nullable=False),
        sa.Column("until", TZ, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_alert_posting_suspensions_user_id", "alert_posting_suspensions", ["user_id"])
    op.create_table(
        "alert_feed_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_alert_feed_tokens_community_id_communities"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_feed_tokens_user_id_users"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
        sa.UniqueConstraint("token_hash", name="uq_alert_feed_tokens_token_hash"),
    )
    op.create_index("ix_alert_feed_tokens_community_id", "alert_feed_tokens", ["community_id"])
    op.create_index("ix_alert_feed_tokens_user_id", "alert_feed_tokens", ["user_id"])


def downgrade():
    for table in ("alert_feed_tokens", "alert_posting_suspensions", "alert_moderation_actions",
                  "alert_reports", "alert_updates", "alerts"):
        op.drop_table(table)
