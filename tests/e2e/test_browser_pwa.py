"""The installable web app: the service worker installs and serves the offline page,
a device subscribes to push from the settings, and an alert posted by a neighbour
reaches it through the outbox's push channel: the (fake, 127.0.0.1) push service
receives an encrypted POST signed with the server's VAPID key, which the test decrypts.

Chromium's own subscriptions point to Google's push service, unreachable here: the
test records a subscription whose endpoint is the fake service, through the page's
own script (``window.vvsPush.save``, what the button calls after ``subscribe()``).
"""
import json
import sys
from pathlib import Path

import http_ece
import pytest
import requests
from sqlalchemy import select, update

from vvs_api.tokens import issue_api_token
from vvs_core.models import Notification, User
from vvs_push.models import PushSubscription
from vvs_core.testing import wait_for

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins" / "vvs_push"))
from push_keys import browser_keypair  # noqa: E402
from webpush_server import push_server, push_service  # noqa: E402,F401 (fixtures)
from playwright.sync_api import expect

SUBSCRIBER = "monique.lefevre@serris.demo"
AUTHOR = "bernard.girard@serris.demo"


@pytest.fixture
def app_page(browser, push_server):
    context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=push_server,
                                  service_workers="allow")  # the test is about the service worker
    context.grant_permissions(["notifications"], origin=push_server)
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def test_web_app_installs_subscribes_and_receives_an_alert(app_page, push_server, push_service, login, shot, e2e_db):
    page = app_page
    login(page, SUBSCRIBER)
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["lang"] == "fr"
    page.goto("/parametres/appareils")
    worker = page.evaluate("navigator.serviceWorker.ready.then(r => r.active && r.active.scriptURL)")
    assert worker == push_server + "/sw.js"

    keys, device_key, auth_secret = browser_keypair()
    endpoint = f"{push_service.url}/push/appareil-de-monique"
    saved = page.evaluate("sub => window.vvsPush.save(sub)", {"endpoint": endpoint, "keys": keys})
    assert saved["label"].startswith("Chrome sur")
    page.reload()
    expect(page.locator("li.device strong", has_text="Chrome sur Linux")).to_be_visible()
    shot(page, "pwa-devices")

    with e2e_db() as db:
        subscriber = db.scalar(select(User).where(User.email == SUBSCRIBER))
        author = db.scalar(select(User).where(User.email == AUTHOR))
        db.execute(update(User).where(User.id == subscriber.id)
                   .values(notification_prefs={"alert": ["email", "push"]}))
        token = issue_api_token(db, author, "test pwa")[1]
        db.commit()
        subscriber_id = subscriber.id
        assert db.scalar(select(PushSubscription.user_id).where(PushSubscription.endpoint == endpoint)) == subscriber_id

    text = "Deux personnes essaient les poignées de portières rue de Paris."
    answer = requests.post(push_server + "/api/v1/alerts", json={"category": "reperage", "text": text},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    assert wait_for(lambda: push_service.received), "the fake push service received nothing"
    push = push_service.received[0]
    assert push["path"] == "/push/appareil-de-monique"
    assert push["headers"]["Authorization"].startswith("vapid t="), dict(push["headers"])
    assert push["headers"]["Content-Encoding"] == "aes128gcm" and int(push["headers"]["TTL"]) > 0
    payload = json.loads(http_ece.decrypt(push["body"], private_key=device_key, auth_secret=auth_secret,
                                          version="aes128gcm"))
    assert text in payload["body"] and payload["url"].startswith("/alertes/")
    def recorded():  # the outbox records "sent" just after the push service answered
        with e2e_db() as db:
            return db.scalar(select(Notification).where(Notification.recipient_id == subscriber_id,
                                                        Notification.channel == "push",
                                                        Notification.status == "sent"))
    row = wait_for(recorded)
    assert row is not None and row.kind == "alert" and row.provider == "webpush"

    # Without network, the service worker shows the offline page.
    page.context.set_offline(True)
    page.goto("/alertes")
    expect(page.get_by_role("heading", name="Vous êtes hors ligne")).to_be_visible()
    shot(page, "pwa-offline")
    page.context.set_offline(False)
