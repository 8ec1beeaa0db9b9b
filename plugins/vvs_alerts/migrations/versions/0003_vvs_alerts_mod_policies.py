"""Pre-moderation chosen per commune and per community, with the commune's rule for
urgent alerts from trusted authors.

Revision ID: 0003_vvs_alerts_mod_policies
Revises: 0002_vvs_alerts_sanctions
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_vvs_alerts_mod_policies"
down_revision = "0002_vvs_alerts_sanctions"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "alert_moderation_policies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_alert_moderation_policies_commune_id_communes")),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("communities.id", name="fk_alert_moderation_policies_community_id_communities")),
        sa.Column("mode", sa.String(8)),
        sa.Column("trusted_urgent", sa.String(12), nullable=False, server_default="none"),
        sa.Column("updated_at", TZ),
        sa.Column("updated_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_alert_moderation_policies_updated_by_id_users")),
        sa.UniqueConstraint("commune_id", name="uq_alert_moderation_policies_commune_id"),
        sa.UniqueConstraint("community_id", name="uq_alert_moderation_policies_community_id"),
    )


def downgrade():
    op.drop_table("alert_moderation_policies")
