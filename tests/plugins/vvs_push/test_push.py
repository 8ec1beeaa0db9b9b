"""Web Push is a plugin: the devices page and its route, the same through the JSON API
(vvs_api's hook), the outbox's push rows only for residents with a device (asked
through ``IPushDevices``), the service worker's push handlers appended to /sw.js; and
with the plugin disabled, the outbox still works: no push row, a kind that must reach
everyone goes by e-mail, no page offers the channel. Databases migrated before keep
their devices."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from vvs_api.tokens import issue_api_token
from vvs_core.hooktypes import NotificationKind
from vvs_core.models import Notification
from vvs_core.notify.kinds import NotificationKinds
from vvs_core.notify.outbox import insert_notifications
from vvs_core.testing import VVSTestApp, build_app_on_session
from vvs_push.models import PushSubscription

from push_keys import browser_keys

KINDS = NotificationKinds([NotificationKind("news", "Nouvelles du quartier", quiet=True),
                           NotificationKind("warning", "Avertissements", always_reach=True, severities=True)])
WITHOUT = "vvs_dev_providers vvs_alerts vvs_gazette vvs_api"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _alert_rows(user, severity, channels, n=1):
    return [dict(dedupe_key=f"warning:t{n}:{user.id}:{c}", kind="warning", subject_type="warning", subject_id=n,
                 recipient_id=user.id, channel=c, address=user.email if c == "email" else user.mobile or str(user.id),
                 title="Alerte", body="Texte", severity=severity) for c in channels]


def test_push_subscription_through_api_and_settings(testapp, dbsession, app_registry, make_user, change):
    member = make_user(first_name="Marie", last_name="Durand")
    _row, token = issue_api_token(dbsession, member, "tests")
    keys = browser_keys()
    change(app_registry, settings={"vvs.push.allow_http_endpoints": False})
    headers = bearer(token)
    plain = testapp.post_json("/api/v1/me/push-subscriptions",
                              {"endpoint": "http://127.0.0.1:9/push/abc", "keys": keys}, headers=headers, status=422)
    assert plain.json["error"]["message"] == "Le service de notification doit être joint en HTTPS."
    made = testapp.post_json("/api/v1/me/push-subscriptions",
                             {"endpoint": "https://push.example.test/abc", "keys": keys, "label": "Chrome sur Android"},
                             headers=headers, status=201).json
    assert made["label"] == "Chrome sur Android"
    assert testapp.get("/api/v1/me/push-subscriptions", headers=headers).json["items"][0]["id"] == made["id"]
    testapp.login(member)
    page = testapp.get("/parametres/appareils")
    assert "Chrome sur Android" in page.text and "data-push-devices" in page.text
    assert "/static_push/push-devices.js" in page.text
    testapp.post_csrf(f"/parametres/appareils/{made['id']}/retirer", status=303)
    assert dbsession.scalar(select(PushSubscription).where(PushSubscription.id == made["id"])) is None
    # The page's own script records through the page's route (it works without the API too).
    assert 'data-api-url="/parametres/appareils/abonner"' in page.text
    csrf = {"X-CSRF-Token": testapp.csrf()}
    refused = testapp.post_json("/parametres/appareils/abonner", {"endpoint": "http://127.0.0.1:9/push/abc",
                                                                  "keys": keys}, headers=csrf, status=422)
    assert refused.json["error"]["message"] == "Le service de notification doit être joint en HTTPS."
    again = testapp.post_json("/parametres/appareils/abonner", {"endpoint": "https://push.example.test/déf",
                                                                "keys": keys, "label": "Firefox « perso » 🦊"},
                              headers=csrf, status=201).json
    assert dbsession.get(PushSubscription, again["id"]).label == "Firefox « perso » 🦊"


def test_push_rows_only_for_subscribed_devices(dbsession, make_user, app_request):
    subscribed = make_user()
    dbsession.add(PushSubscription(user_id=subscribed.id, endpoint="https://push.example.test/1", endpoint_hash="a" * 64,
                                   p256dh="k", auth="a"))
    nobody = make_user()
    dbsession.flush()
    rows = _alert_rows(subscribed, "minor", ("push",)) + _alert_rows(nobody, "minor", ("push",))
    insert_notifications(dbsession, rows, kinds=KINDS)
    rows = {r.recipient_id: r.channel for r in dbsession.scalars(select(Notification).where(
        Notification.recipient_id.in_([subscribed.id, nobody.id])))}
    # Nobody's warning (always reaches) was a push to no device: it becomes an e-mail, never nothing.
    assert rows == {subscribed.id: "push", nobody.id: "email"}
    insert_notifications(dbsession, [dict(dedupe_key=f"msg:{nobody.id}:push", kind="news", channel="push",
                                          address=str(nobody.id), recipient_id=nobody.id, title="t", body="b")],
                         kinds=KINDS)
    assert dbsession.scalar(select(Notification).where(Notification.dedupe_key == f"msg:{nobody.id}:push")) is None


def test_push_channel_delivers_through_the_provider(dbsession, make_user, app, app_request):
    user = make_user()
    dbsession.add(PushSubscription(user_id=user.id, endpoint="https://push.example.test/2", endpoint_hash="b" * 64,
                                   p256dh="k", auth="a"))
    dbsession.flush()
    ids = insert_notifications(dbsession, [dict(
        dedupe_key=f"account:t:{user.id}:push", kind="account", channel="push", address=str(user.id),
        recipient_id=user.id, title="Bonjour", body="Voyez http://localhost/parametres/appareils.")], kinds=KINDS)
    from vvs_core.notify.actors import deliver_notifications

    deliver_notifications(ids, registry=app.registry)
    row = dbsession.get(Notification, ids[0])
    dbsession.refresh(row)
    assert row.channel == "push" and row.status == "sent" and row.provider == "log"


def test_the_service_worker_carries_the_push_handlers(testapp):
    worker = testapp.get("/sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert 'addEventListener("fetch"' in worker.text  # the core's offline page
    assert 'addEventListener("push"' in worker.text and 'addEventListener("notificationclick"' in worker.text


@pytest.fixture
def without_push(db_url, session_factory):
    return build_app_on_session(db_url, session_factory, WITHOUT)


def test_without_the_plugin_the_outbox_still_delivers(without_push, dbsession, make_user):
    """No device service: no push row is written, a warning still reaches by e-mail, the
    pages offer no push channel and no devices page, /sw.js has no push handler."""
    from pyramid.scripting import prepare

    user = make_user(first_name="Élodie")
    dbsession.add(PushSubscription(user_id=user.id, endpoint="https://push.example.test/3", endpoint_hash="c" * 64,
                                   p256dh="k", auth="a"))  # a row left from when the plugin was on
    dbsession.flush()
    env = prepare(registry=without_push.registry)  # the application the session works for
    try:
        insert_notifications(dbsession, _alert_rows(user, "minor", ("push",)), kinds=KINDS)
    finally:
        env["closer"]()
    assert set(dbsession.scalars(select(Notification.channel).where(Notification.recipient_id == user.id))) == {"email"}
    testapp = VVSTestApp(without_push)
    testapp.login(user)
    assert "Notification sur le téléphone" not in testapp.get("/parametres/notifications").text
    settings = testapp.get("/parametres").text
    assert "/parametres/appareils" not in settings and "Notifications sur mes appareils" not in settings
    testapp.get("/parametres/appareils", status=404)
    assert 'addEventListener("push"' not in testapp.get("/sw.js").text
    testapp.get("/api/v1/me/push-subscriptions", status=404)


OLD_CORE_DDL = """CREATE TABLE push_subscriptions (
    id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),
    endpoint TEXT NOT NULL, endpoint_hash VARCHAR(64) NOT NULL, p256dh VARCHAR(200) NOT NULL,
    auth VARCHAR(100) NOT NULL, label VARCHAR(120) DEFAULT '' NOT NULL, created_at DATETIME NOT NULL,
    last_success_at DATETIME, CONSTRAINT uq_push_subscriptions_endpoint_hash UNIQUE (endpoint_hash))"""


def test_a_database_migrated_before_the_plugin_keeps_its_devices(tmp_path):
    from vvs_core.models.migrate import upgrade
    from vvs_core.models import get_engine
    from vvs_core.testing import base_settings, enabled_module_names

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, [])  # the core alone, as the old core's revisions left it…
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:  # …with the table its revision 0003 created then
        conn.execute(OLD_CORE_DDL)
        conn.execute("INSERT INTO push_subscriptions (user_id, endpoint, endpoint_hash, p256dh, auth, label, created_at) "
                     "VALUES (1, 'https://push.example.test/x', 'd', 'k', 'a', 'Téléphone de Noël', '2026-11-30 10:00:00')")
    upgrade(url, enabled_module_names(base_settings(url)))  # every plugin, vvs_push's branch included
    with get_engine(url).connect() as conn:
        heads = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
        assert "0001_vvs_push" in heads
        assert conn.scalar(sa.text("SELECT label FROM push_subscriptions")) == "Téléphone de Noël"
