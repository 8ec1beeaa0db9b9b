"""Official warnings relayed to communes.

Revision ID: 0001_vvs_warnings
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.models.geometry import Geometry

revision = "0001_vvs_warnings"
down_revision = None
branch_labels = ("vvs_warnings",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "warnings_official",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("feed_url", sa.String(500), nullable=False),
        sa.Column("source_name", sa.String(120), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("headline", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("instruction", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("colour", sa.String(16), nullable=False),
        sa.Column("onset", TZ),
        sa.Column("expires", TZ),
        sa.Column("area_desc", sa.String(500), nullable=False),
        sa.Column("area", Geometry("GEOMETRY")),
        sa.Column("departements", sa.JSON, nullable=False),
        sa.Column("web", sa.String(500), nullable=False),
        sa.Column("cancelled_at", TZ),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("key", name="uq_warnings_official_key"),
    )
    op.create_table(
        "warnings_message_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey(
            "warnings_official.id", ondelete="CASCADE", name="fk_warnings_message_keys_warning_id_warnings_official"),
            nullable=False),
    )
    op.create_index("ix_warnings_message_keys_warning_id", "warnings_message_keys", ["warning_id"])
    op.create_table(
        "warnings_relays",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey(
            "warnings_official.id", ondelete="CASCADE", name="fk_warnings_relays_warning_id_warnings_official"),
            nullable=False),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey(
            "communes.id", name="fk_warnings_relays_commune_id_communes"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.String(140), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("whole_commune", sa.Boolean, nullable=False),
        sa.Column("area", Geometry("POLYGON")),
        sa.Column("alert_id", sa.Integer),
        sa.Column("alert_url", sa.String(300), nullable=False),
        sa.Column("automatic", sa.Boolean, nullable=False),
        sa.Column("sent_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_warnings_relays_sent_by_id_users")),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("ended_at", TZ),
        sa.UniqueConstraint("warning_id", "commune_id", name="uq_warnings_relays_warning_commune"),
    )
    op.create_index("ix_warnings_relays_warning_id", "warnings_relays", ["warning_id"])
    op.create_index("ix_warnings_relays_commune_id", "warnings_relays", ["commune_id"])
    op.create_index("ix_warnings_relays_created_at", "warnings_relays", ["created_at"])
    op.create_table(
        "warnings_commune_settings",
        sa.Column("commune_id", sa.Integer, sa.ForeignKey(
            "communes.id", name="fk_warnings_commune_settings_commune_id_communes"), primary_key=True),
        sa.Column("threshold", sa.String(16), nullable=False),
        sa.Column("automatic", sa.Boolean, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by_id", sa.Integer, sa.ForeignKey(
            "users.id", name="fk_warnings_commune_settings_updated_by_id_users")),
    )


def downgrade():
    op.drop_table("warnings_commune_settings")
    op.drop_table("warnings_relays")
    op.drop_table("warnings_message_keys")
    op.drop_table("warnings_official")
