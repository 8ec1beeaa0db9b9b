"""Browser, on a 360 px phone with notifications allowed: a person with no account
follows the mairie of Serris by notification on this browser (news too), sees that
this browser follows, receives the welcome notification, then the agent's commune
alert through the real webpush client and the (fake, 127.0.0.1) push service; a tap
opens the follow page, which stops it in one click.

Chromium's own subscriptions point to Google's push service, unreachable here: the
subscription is recorded through the page's own script (``window.vvsPush.save``, what
the button calls after ``subscribe()``) with an endpoint of the fake service."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import http_ece
import pytest
from mairie_login import demo_agent, enrol_and_sign_in, write_alert  # noqa: F401 (demo_agent: a fixture)
from playwright.sync_api import expect
from sqlalchemy import func, select

from vvs_core.models.notification import Notification
from vvs_core.testing import wait_for
from vvs_followers.models import Follower

sys.path.insert(0, str(Path(__file__).parent.parent / "plugins" / "vvs_push"))
from push_keys import browser_keypair  # noqa: E402
from webpush_server import push_server, push_service  # noqa: E402,F401 (fixtures)

pytestmark = pytest.mark.browser


def phone(browser, base_url, notifications=False):
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 800}, base_url=base_url,
                                  service_workers="allow")
    if notifications:
        context.grant_permissions(["notifications"], origin=base_url)
    context.set_default_timeout(15000)
    return context, context.new_page()


def test_follow_by_notification_receive_and_stop(browser, push_server, push_service, login, shot, demo_agent,
                                                  e2e_db):
    context, follower = phone(browser, push_server, notifications=True)
    errors = []
    follower.on("pageerror", lambda exc: errors.append(str(exc)))
    follower.goto("/communes/77449/suivre")
    box = follower.locator("[data-push-devices]")
    expect(box.get_by_role("heading", name="Ou par notification sur ce navigateur")).to_be_visible()
    expect(box.get_by_role("button", name="Activer les notifications de la mairie")).to_be_enabled()
    box.get_by_label("Recevoir aussi les nouvelles de la mairie sur ce navigateur").check()
    expect(box).to_have_attribute("data-api-url", re.compile(r"/suivre/notifications\?nouvelles=1$"))
    follower.evaluate("navigator.serviceWorker.ready")
    shot(follower, "followers-push-offer")

    keys, device_key, auth_secret = browser_keypair()
    endpoint = f"{push_service.url}/push/navigateur-de-lucie"
    assert follower.evaluate("sub => window.vvsPush.save(sub)", {"endpoint": endpoint, "keys": keys}) == {"ok": True}
    follower.reload()
    followed = follower.locator("[data-followed-browser]")
    expect(followed).to_contain_text("Ce navigateur reçoit les alertes et les nouvelles de la mairie de Serris")
    shot(follower, "followers-push-followed")

    def payloads(path="/push/navigateur-de-lucie"):
        return [json.loads(http_ece.decrypt(r["body"], private_key=device_key, auth_secret=auth_secret,
                                            version="aes128gcm")) for r in list(push_service.received)
                if r["path"] == path]

    arrived = wait_for(payloads)
    assert arrived, "the welcome notification did not reach the push service"
    welcome = arrived[0]
    assert welcome["body"] == "C'est fait : ce navigateur recevra les alertes et les nouvelles de la mairie de Serris."

    # The agent alerts the whole commune from the same server (its worker sends the pushes).
    agent_context, agent = phone(browser, push_server)
    enrol_and_sign_in(agent, login, shot, demo_agent, e2e_db)
    write_alert(agent, "meteo", "Orage de grêle 🌩️ : rentrez les véhicules",
                "Abritez-vous « loin des arbres » jusqu'à 18 h.")
    with agent.expect_navigation():  # the estimate's answer, not the form still there
        agent.get_by_role("button", name="Estimer la portée").click()
    assert re.search(r"\d+ notifications?", agent.locator("main").inner_text())
    agent.get_by_role("button", name="Envoyer l'alerte").click()
    agent.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
    alerts = wait_for(lambda: [p for p in payloads() if "Orage de grêle" in p["title"]])
    assert alerts, "the alert did not reach the push service"
    alert = alerts[0]
    assert alert["title"].startswith("Mairie de Serris") and "Abritez-vous « loin des arbres »" in alert["body"]
    csv_text = agent.evaluate("url => fetch(url).then(r => r.text())", agent.url + "/preuve.csv")
    assert re.search(r"abonné sans compte \(abonne-\d+\);notification;appareil enregistré;(envoyé|en cours)", csv_text)

    # A tap on the notification opens the follow page: one click stops it.
    follower.goto(alert["url"])
    follower.get_by_role("button", name="Ne plus recevoir les notifications de la mairie").click()
    expect(follower.get_by_role("heading", name="Vous ne recevrez plus les alertes")).to_be_visible()
    shot(follower, "followers-push-stopped")
    with e2e_db() as session:
        assert session.scalar(select(func.count()).select_from(Follower).where(Follower.endpoint == endpoint)) == 0

    def sent():  # the outbox marks a push sent once the push service has answered: a moment after it arrived
        with e2e_db() as session:
            return session.scalar(select(func.count()).select_from(Notification).where(
                Notification.channel == "push", Notification.recipient_id.is_(None), Notification.status == "sent"))
    assert wait_for(lambda: sent() >= 2), sent()
    agent_context.close()
    context.close()
    assert not errors, errors
