"""Following a town hall by Web Push, without an account: the follow page offers it
when the push provider has a key (the browser script is the devices page's, named by
``IPushDevices.subscribe_script``); hostile subscriptions change nothing; a browser
that subscribes gets a welcome push, then the commune alert, through the real
``webpush`` client and a local fake push service that decrypts what arrives; the
reach estimate and the proof of warning count it; the page a push opens stops it in
one click."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import http_ece
import pytest
from sqlalchemy import func, select

from vvs_core.models.notification import Notification
from vvs_core.testing import run_tasks
from vvs_followers.models import Follower
from vvs_mairie.testing import agent_login, mairie  # noqa: F401
from vvs_push.models import PushSubscription
from vvs_push.webpush import WebPushSender

sys.path.insert(0, str(Path(__file__).parents[1] / "vvs_push"))
from fake_push import FakePushService  # noqa: E402
from push_keys import vapid_keypair  # noqa: E402

FOLLOW = "/communes/77449/suivre"
PUSH = "/communes/77449/suivre/notifications"


class RecordingPushService(FakePushService):
    """The fake push service, keeping each decrypted payload whole (title, url)."""

    def __init__(self):
        self.payloads = []
        super().__init__()

    def handle(self, call):
        status, body = super().handle(call)
        if status == 201:
            private, auth, _keys = self.keys[call.path.rsplit("/", 1)[-1]]
            self.payloads.append(json.loads(http_ece.decrypt(call.body, private_key=private, auth_secret=auth,
                                                             version="aes128gcm")))
        return status, body


@pytest.fixture
def push_service():
    fake = RecordingPushService()
    yield fake
    fake.close()


@pytest.fixture
def webpush(app, change):
    """The real Web Push provider, with a key, for the rest of the test (the fake push
    service listens on plain http): the log provider the application was built with after."""
    private, public = vapid_keypair()
    change(app.registry, providers={"push": WebPushSender(private, "mailto:equipe@vvs.invalid", timeout=5.0,
                                                          public_key=public)},
           settings={"vvs.push.allow_http_endpoints": True})
    return public


def csrf(testapp) -> dict:
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get(FOLLOW).text).group(1)
    return {"X-CSRF-Token": token}


def test_no_push_offered_without_a_key(testapp, commune):
    page = testapp.get(FOLLOW)
    assert "data-push-devices" not in page.text and "push-devices.js" not in page.text
    testapp.post_json(PUSH, {"endpoint": "https://push.example.test/x", "keys": {}}, headers=csrf(testapp),
                      status=404)


@pytest.mark.parametrize("body, status, message", [
    ({"endpoint": "http://127.0.0.1:9/push/a", "keys": "k"}, 422, "L'abonnement envoyé par le navigateur est illisible."),
    ({"endpoint": "ftp://push.example.test/a", "keys": None}, 422, "illisible"),
    ({"endpoint": "javascript:alert(1)", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}}, 422,
     "Adresse du service de notification invalide."),
    ({"endpoint": "https://push.example.test/« a »", "keys": {"p256dh": "A" * 86, "auth": "A" * 22}}, 422,
     "illisible"),
    ({"endpoint": "https://push.example.test/a", "keys": {"p256dh": "🚨" * 20, "auth": "A" * 22}}, 422, "illisible"),
    ("[[[[[[[[[[]]]]]]]]]]", 400, "illisible"),
])
def test_hostile_subscriptions_change_nothing(testapp, dbsession, commune, webpush, body, status, message):
    headers = csrf(testapp)
    answer = testapp.post(PUSH, json.dumps(body) if not isinstance(body, str) else body, headers={
        **headers, "Content-Type": "application/json"}, status=status)
    assert message in answer.json["error"]["message"]
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0


def test_an_https_only_site_refuses_a_plain_http_push_service(testapp, dbsession, commune, webpush, push_service,
                                                              app, change):
    change(app.registry, settings={"vvs.push.allow_http_endpoints": False})
    device = push_service.device(0)
    answer = testapp.post_json(PUSH, {"endpoint": device["endpoint"], "keys": {"p256dh": device["p256dh"],
                                                                               "auth": device["auth"]}},
                               headers=csrf(testapp), status=422)
    assert answer.json["error"]["message"] == "Le service de notification doit être joint en HTTPS."
    testapp.post_json(PUSH, {"endpoint": device["endpoint"], "keys": {}}, status=400)  # no CSRF token: refused
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0


def estimate_of(testapp) -> str:
    return testapp.post_csrf("/mairie/77449/alertes/nouvelle", {"category": "meteo", "title": "Crue",
                                                                "target": "commune"}).text


def pushes(estimate: str) -> int:
    found = re.search(r"Portée estimée.*?environ [^<]*?(\d+) notifications?", estimate, re.S)
    return int(found.group(1)) if found else 0


def test_a_browser_follows_receives_the_alert_is_counted_and_stops(testapp, dbsession, commune, mairie, agent_login,
                                                                   webpush, push_service):
    agent_login(testapp, mairie)
    residents_pushes = pushes(estimate_of(testapp))          # residents' own devices, before
    testapp.reset()
    page = testapp.get(FOLLOW)
    assert f'data-vapid-key="{webpush}"' in page.text and 'data-api-url="/communes/77449/suivre/notifications"' in page.text
    assert "/static_push/push-devices.js" in page.text and "/static_followers/follow-push.js" in page.text
    device = push_service.device(0)
    subscription = {"endpoint": device["endpoint"], "keys": {"p256dh": device["p256dh"], "auth": device["auth"]},
                    "label": "Chrome sur Android"}
    assert testapp.post_json(PUSH, subscription, headers=csrf(testapp), status=201).json == {"ok": True}
    follower = dbsession.scalars(select(Follower)).one()
    assert (follower.channel, follower.status, follower.news, follower.endpoint) == (
        "push", "active", False, device["endpoint"])
    assert len(follower.address) == 64 and device["endpoint"] not in follower.address
    assert dbsession.scalar(select(func.count()).select_from(PushSubscription)) == 0   # not a resident's device
    run_tasks()
    assert push_service.payloads[-1]["body"] == "C'est fait : ce navigateur recevra les alertes de la mairie de Serris."
    shown = testapp.get(FOLLOW).text                  # the session remembers this browser
    assert "Ce navigateur suit la mairie" in shown and "data-push-devices" not in shown

    testapp.reset()
    agent_login(testapp, mairie)
    estimate = estimate_of(testapp)
    assert pushes(estimate) == residents_pushes + 1 and "dont 1 personne abonnée sans compte" in estimate
    alert_page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", {
        "category": "meteo", "title": "Crue de la Marne : montez à l'étage 🌊", "body": "Évitez les caves « inondables ».",
        "target": "commune", "confirm": "1"}, status=303).location
    row = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_alert",
                                                       Notification.recipient_id.is_(None))).one()
    assert (row.channel, row.address) == ("push", follower.key)
    run_tasks()
    payload = push_service.payloads[-1]
    assert payload["title"].startswith("Mairie de Serris") and "Crue de la Marne : montez à l'étage 🌊" in payload["title"]
    assert "Évitez les caves « inondables »." in payload["body"]
    dbsession.expire_all()
    row = dbsession.get(Notification, row.id)
    assert (row.status, row.provider) == ("sent", "webpush")
    csv_text = testapp.get(f"{alert_page}/preuve.csv").text
    assert f"abonné sans compte ({follower.key});notification;appareil enregistré;envoyé" in csv_text

    # A tap opens the follow page, which offers to stop this browser in one click.
    testapp.reset()
    tapped = testapp.get(payload["url"])
    assert payload["url"].startswith("/communes/77449/suivre?abonnement=")
    assert "Ce navigateur reçoit les alertes" in tapped.text
    stop = re.search(r'action="(/suivre/desabonnement/[^"]+)"', tapped.text).group(1)
    assert "Vous ne recevrez plus les alertes" in testapp.post(stop, {}).text
    assert dbsession.scalar(select(func.count()).select_from(Follower)) == 0
    assert "Ce navigateur suit la mairie" not in testapp.get(payload["url"]).text


def test_a_browser_the_push_service_forgot_fails_without_touching_residents_devices(
        testapp, dbsession, commune, mairie, agent_login, webpush, push_service, make_user):
    gone = push_service.gone_device()
    resident = make_user()
    # A resident's device whose id would be None's neighbour: it must stay.
    dbsession.add(PushSubscription(user_id=resident.id, endpoint="https://push.example.test/r", endpoint_hash="b" * 64,
                                   p256dh="k", auth="a"))
    dbsession.flush()
    testapp.post_json(PUSH, {"endpoint": gone["endpoint"], "keys": {"p256dh": gone["p256dh"], "auth": gone["auth"]}},
                      headers=csrf(testapp), status=201)
    run_tasks()
    dbsession.expire_all()
    welcome = dbsession.scalars(select(Notification).where(Notification.kind == "follower_confirm")).one()
    assert (welcome.status, welcome.last_error) == ("failed", "appareil désabonné")
    assert dbsession.scalar(select(func.count()).select_from(PushSubscription)) == 1
