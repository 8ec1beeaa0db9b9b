"""Mairie tables: subscribed communes, agents, recovery codes, acknowledgements, alerts, communications.

Revision ID: 0001_vvs_mairie
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_vvs_mairie"
down_revision = None
branch_labels = ("vvs_mairie",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "mairie_communes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_communes_commune_id_communes"), nullable=False),
        sa.Column("subscribed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("impose_validation", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("contact_name", sa.String(120), nullable=False, server_default=""),
        sa.Column("contact_email", sa.String(254), nullable=False, server_default=""),
        sa.Column("contact_phone", sa.String(30), nullable=False, server_default=""),
        sa.Column("contact_address", sa.String(255), nullable=False, server_default=""),
        sa.Column("subscribed_at", TZ),
        sa.UniqueConstraint("commune_id", name="uq_mairie_communes_commune_id"),
    )
    op.create_table(
        "mairie_agents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_agents_user_id_users"), nullable=False),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_agents_commune_id_communes"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="agent"),
        sa.Column("totp_secret", sa.String(255)),
        sa.Column("totp_confirmed_at", TZ),
        sa.Column("alert_channels", sa.JSON),
        sa.Column("invited_at", TZ, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("user_id", "commune_id", name="uq_mairie_agents_user_commune"),
    )
    op.create_index("ix_mairie_agents_user_id", "mairie_agents", ["user_id"])
    op.create_index("ix_mairie_agents_commune_id", "mairie_agents", ["commune_id"])
    op.create_table(
        "mairie_recovery_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("mairie_agents.id", ondelete="CASCADE",
                                                        name="fk_mairie_recovery_codes_agent_id_mairie_agents"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", TZ),
    )
    op.create_index("ix_mairie_recovery_codes_agent_id", "mairie_recovery_codes", ["agent_id"])
    op.create_table(
        "mairie_alert_acks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_alert_acks_commune_id_communes"), nullable=False),
        sa.Column("agent_user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_alert_acks_agent_user_id_users"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("alert_id", "commune_id", name="uq_mairie_alert_acks_alert"),
    )
    op.create_index("ix_mairie_alert_acks_alert_id", "mairie_alert_acks", ["alert_id"])
    op.create_table(
        "mairie_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_alerts_commune_id_communes"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_alerts_author_id_users"), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("mairie_alerts.id", name="fk_mairie_alerts_parent_id_mairie_alerts")),
        sa.Column("kind", sa.String(16), nullable=False, server_default="alert"),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("title", sa.String(140), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("target", sa.String(16), nullable=False, server_default="commune"),
        sa.Column("community_ids", sa.JSON),
        sa.Column("area", Geometry("POLYGON")),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_mairie_alerts_commune_id", "mairie_alerts", ["commune_id"])
    op.create_index("ix_mairie_alerts_parent_id", "mairie_alerts", ["parent_id"])
    op.create_index("ix_mairie_alerts_created_at", "mairie_alerts", ["created_at"])
    op.create_table(
        "mairie_communications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_communications_commune_id_communes"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_communications_author_id_users"), nullable=False),
        sa.Column("title", sa.String(140), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_mairie_communications_commune_id", "mairie_communications", ["commune_id"])
    op.create_index("ix_mairie_communications_created_at", "mairie_communications", ["created_at"])


def downgrade():
    for table in ("mairie_communications", "mairie_alerts", "mairie_alert_acks", "mairie_recovery_codes",
                  "mairie_agents", "mairie_communes"):
        op.drop_table(table)
