"""Sanctions: each moderation action names the user it concerns (a lift has no alert),
a posting suspension is lifted by a moderator rather than deleted.

Revision ID: 0002_vvs_alerts_sanctions
Revises: 0001_vvs_alerts
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_vvs_alerts_sanctions"
down_revision = "0001_vvs_alerts"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# SQLite copies the table: reflect it alone, not the tables its keys name (users has an
# index on lower(email) that SQLAlchemy cannot reflect and warns about; the copy needs none).
ALONE = {"reflect_kwargs": {"resolve_fks": False}}


def upgrade():
    with op.batch_alter_table("alert_moderation_actions", **ALONE) as batch:
        batch.alter_column("alert_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("user_id", sa.Integer, sa.ForeignKey(
            "users.id", name="fk_alert_moderation_actions_user_id_users")))
        batch.add_column(sa.Column("until", TZ))
        batch.create_index("ix_alert_moderation_actions_user_id", ["user_id"])
    op.execute("UPDATE alert_moderation_actions SET user_id = "
               "(SELECT author_id FROM alerts WHERE alerts.id = alert_moderation_actions.alert_id)")
    with op.batch_alter_table("alert_posting_suspensions", **ALONE) as batch:
        batch.add_column(sa.Column("moderator_id", sa.Integer, sa.ForeignKey(
            "users.id", name="fk_alert_posting_suspensions_moderator_id_users")))
        batch.add_column(sa.Column("alert_id", sa.Integer, sa.ForeignKey(
            "alerts.id", name="fk_alert_posting_suspensions_alert_id_alerts")))
        batch.add_column(sa.Column("lifted_at", TZ))
        batch.add_column(sa.Column("lifted_by_id", sa.Integer, sa.ForeignKey(
            "users.id", name="fk_alert_posting_suspensions_lifted_by_id_users")))


def downgrade():
    with op.batch_alter_table("alert_posting_suspensions", **ALONE) as batch:
        for column in ("lifted_by_id", "lifted_at", "alert_id", "moderator_id"):
            batch.drop_column(column)
    op.execute("DELETE FROM alert_moderation_actions WHERE alert_id IS NULL")
    with op.batch_alter_table("alert_moderation_actions", **ALONE) as batch:
        batch.drop_index("ix_alert_moderation_actions_user_id")
        batch.drop_column("until")
        batch.drop_column("user_id")
        batch.alter_column("alert_id", existing_type=sa.Integer, nullable=False)
