"""A residents' alert followed by the mairie: a status (prise en compte, patrouille
envoyée, close) on the acknowledgement, the alert's own time (for the delay), and the
replies sent to the author and, when the agent chooses, to the community.

Revision ID: 0003_vvs_mairie_alert_follow_up
Revises: 0002_vvs_mairie_totp_step
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_vvs_mairie_alert_follow_up"
down_revision = "0002_vvs_mairie_totp_step"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("mairie_alert_acks") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="prise_en_compte"))
        batch.add_column(sa.Column("alert_created_at", TZ))
        batch.add_column(sa.Column("updated_at", TZ))
    op.create_table(
        "mairie_alert_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_mairie_alert_replies_commune_id_communes"), nullable=False),
        sa.Column("agent_user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_mairie_alert_replies_agent_user_id_users")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("to_community", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_mairie_alert_replies_alert_id", "mairie_alert_replies", ["alert_id"])


def downgrade():
    op.drop_table("mairie_alert_replies")
    with op.batch_alter_table("mairie_alert_acks") as batch:
        for column in ("updated_at", "alert_created_at", "status"):
            batch.drop_column(column)
