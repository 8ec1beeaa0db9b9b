"""Migration 0010: what existing notifications say moves to ``notification_contents``
(one row per distinct text), on SQLite and on PostGIS, and back on downgrade."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from vvs_core.models import Notification, NotificationContent, get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)

BEFORE = "0009_voice_calls"
OLD_ROWS = [  # dedupe key, channel, title, body, html
    ("alert:1:1:sms", "sms", "Alerte « Église »", "Véhicule suspect 🚗 appelez le 17", None),
    ("alert:1:2:sms", "sms", "Alerte « Église »", "Véhicule suspect 🚗 appelez le 17", None),
    ("alert:1:1:email", "email", "Alerte « Église »", "Véhicule suspect 🚗 appelez le 17", "<p>Véhicule l’a</p>"),
    ("message:9:1:email", "email", "", "", None),
]


def test_existing_notifications_keep_their_text_through_the_migration_and_back(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    config = alembic_config(database, sorted(set(modules) | set(installed_module_names())))
    command.downgrade(config, BEFORE)
    engine = get_engine(database)
    with engine.begin() as conn:
        for key, channel, title, body, html in OLD_ROWS:
            conn.execute(sa.text(
                "INSERT INTO notifications (dedupe_key, kind, subject_type, channel, address, title, body, html, "
                "status, attempts, provider, last_error, created_at, next_attempt_at) VALUES (:key, 'alert', 'alert', "
                ":channel, 'x', :title, :body, :html, 'sent', 1, 'null', '', :at, :at)"),
                dict(key=key, channel=channel, title=title, body=body, html=html, at="2026-11-30 08:00:00"))

    upgrade(database, modules)
    with sa.orm.Session(engine) as session:
        rows = session.scalars(sa.select(Notification).order_by(Notification.id)).all()
        assert [(n.dedupe_key, n.channel, n.title, n.body, n.html) for n in rows] == OLD_ROWS
        assert session.scalar(sa.select(sa.func.count()).select_from(NotificationContent)) == 3  # distinct texts
        assert all(n.content_id is not None for n in rows)
        assert "title" not in {c["name"] for c in sa.inspect(engine).get_columns("notifications")}

    command.downgrade(config, BEFORE)
    with engine.connect() as conn:
        back = conn.execute(sa.text("SELECT dedupe_key, channel, title, body, html FROM notifications ORDER BY id"))
        assert [tuple(r) for r in back] == OLD_ROWS
        assert not sa.inspect(conn).has_table("notification_contents")
    engine.dispose()
