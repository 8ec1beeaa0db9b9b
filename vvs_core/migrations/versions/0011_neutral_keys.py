"""The core names no feature (issue 14.1): a resident's minimum severity per channel is
stored under ``notification_prefs["min_severity"]`` (it applies to every notification
that carries a severity), no longer under the alerts' ``"alert_min_severity"``. Rows are
converted both ways.

Revision ID: 0011_neutral_keys
Revises: 0010_notification_contents
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_neutral_keys"
down_revision = "0010_notification_contents"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("notification_prefs", sa.JSON))


def _rename(old: str, new: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.notification_prefs)
                        .where(sa.cast(users.c.notification_prefs, sa.Text).like(f'%"{old}"%'))).all()
    for user_id, prefs in rows:
        if not isinstance(prefs, dict) or old not in prefs:
            continue
        prefs = dict(prefs)
        prefs[new] = prefs.pop(old)
        bind.execute(users.update().where(users.c.id == user_id).values(notification_prefs=prefs))


def upgrade():
    _rename("alert_min_severity", "min_severity")


def downgrade():
    _rename("min_severity", "alert_min_severity")
