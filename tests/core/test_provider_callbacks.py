"""The core's provider callbacks (/fournisseurs/{provider}/{token}/…) with a provider
that reads JSON bodies: what a well-behaved call does, and that hostile calls (wrong
token, replay, garbage, huge body, a provider that crashes on what it reads) get a
French plain-text 4xx and record nothing."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from vvs_core.models import Notification, ProviderCallback
from vvs_core.providers import provider_on
from vvs_core.testing import run_tasks

from sms_callbacks import ReplyingToSMS, json_callback_sms

TOKEN = "jeton-des-rappels-" + "r" * 32
NAME = "rappels"
SENDER = "+33612349876"


@pytest.fixture
def callbacks(app):
    with json_callback_sms(app.registry, NAME, TOKEN) as provider:
        yield provider


@pytest.fixture
def replying(plug):
    return plug(ReplyingToSMS("Bien reçu ! Votre message « fenêtre ouverte » est transmis. 👍"))


def url(what, token=TOKEN, provider=NAME):
    return f"/fournisseurs/{provider}/{token}/{what}"


def post_json(testapp, path, body, **kw):
    return testapp.post(path, json.dumps(body), content_type="application/json", **kw)


def counts(dbsession):
    dbsession.expire_all()
    return tuple(dbsession.scalar(sa.select(sa.func.count()).select_from(t)) for t in (ProviderCallback, Notification))


def sent_row(dbsession, ref):
    row = Notification(dedupe_key=f"test:{ref}", kind="alert", channel="sms", address="+33600000001",
                       status="sent", provider=NAME, provider_ref=ref)
    dbsession.add(row)
    dbsession.flush()
    return row


def status(dbsession, row):
    dbsession.expire_all()
    return dbsession.get(Notification, row.id)


def test_a_receipt_updates_its_row_once(testapp, callbacks, dbsession):
    row = sent_row(dbsession, "ref-9")
    answer = post_json(testapp, url("accuse-reception"), {"ref": "ref-9", "status": "FAILED", "reason": "Numéro éteint"})
    assert answer.text == "enregistré" and answer.content_type == "text/plain"
    assert (status(dbsession, row).status, status(dbsession, row).last_error) == ("failed", "Numéro éteint")
    before = counts(dbsession)
    replay = post_json(testapp, url("accuse-reception"), {"ref": "ref-9", "status": "FAILED"}, status=409)
    assert replay.text == "déjà reçu" and counts(dbsession) == before
    # an intermediate state changes nothing and is not noted
    assert post_json(testapp, url("accuse-reception"), {"ref": "ref-9", "status": "QUEUED"}).text == "état intermédiaire ignoré"
    assert counts(dbsession) == before


def test_an_inbound_sms_reaches_the_hook_and_the_reply_goes_through_the_outbox(testapp, callbacks, replying, dbsession):
    text = "Fenêtre ouverte au 3 rue de l’Église — « bizarre » 🚨"
    answer = post_json(testapp, url("sms-recu"), {"from": SENDER, "text": text, "id": "in-1"})
    assert answer.text == "reçu, réponse envoyée"
    [message] = replying.received
    assert (message.sender, message.text, message.provider_id) == (SENDER, text, "in-1")
    run_tasks()
    [sent] = callbacks.sent
    assert sent.to == SENDER and sent.key.startswith(f"sms-reply:{NAME}:in-1~") and "Bien recu" in sent.text
    before = counts(dbsession)
    post_json(testapp, url("sms-recu"), {"from": SENDER, "text": text, "id": "in-1"}, status=409)
    run_tasks()
    assert len(replying.received) == 1 and len(callbacks.sent) == 1 and counts(dbsession) == before


HOSTILE = [
    ("wrong token", url("sms-recu", token="n" * 50), {"from": SENDER, "text": "x", "id": "h-1"}, 403, "accès refusé"),
    ("one character off", url("sms-recu", token=TOKEN[:-1] + "s"), {"from": SENDER, "text": "x", "id": "h-2"}, 403,
     "accès refusé"),
    ("unknown provider", url("sms-recu", provider="inconnu"), {"from": SENDER, "text": "x", "id": "h-3"}, 404,
     "fournisseur inconnu"),
    ("missing field", url("sms-recu"), {"from": SENDER, "id": "h-4"}, 400, "requête illisible"),
    ("refused field", url("accuse-reception"), {"ref": "r", "status": "LIVRÉ"}, 400, "état de remise inconnu"),
    ("sender not E.164", url("sms-recu"), {"from": "VOISINS", "text": "x", "id": "h-5"}, 400, "requête illisible"),
    ("empty text", url("sms-recu"), {"from": SENDER, "text": "  ", "id": "h-6"}, 400, "requête illisible"),
]


@pytest.mark.parametrize("label, path, body, code, text", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_calls_are_refused_in_french_and_record_nothing(testapp, callbacks, replying, dbsession,
                                                                 label, path, body, code, text):
    before = counts(dbsession)
    answer = post_json(testapp, path, body, status=code)
    assert answer.text == text and answer.content_type == "text/plain"
    run_tasks()
    assert replying.received == [] and callbacks.sent == [] and counts(dbsession) == before


@pytest.mark.parametrize("body", [b"\xff\xfe{pas du json", b"", b"[1, 2", "é".encode("latin-1") * 10])
def test_garbage_bodies_get_400(testapp, callbacks, replying, dbsession, body):
    before = counts(dbsession)
    for what in ("accuse-reception", "sms-recu"):
        answer = testapp.post(url(what), body, content_type="application/json", status=400)
        assert answer.text == "requête illisible"
    assert replying.received == [] and counts(dbsession) == before


def test_a_huge_body_gets_413_before_the_provider_reads_it(testapp, callbacks, replying, dbsession):
    before = counts(dbsession)
    body = {"from": SENDER, "text": "x" * (70 * 1024), "id": "huge"}
    assert post_json(testapp, url("sms-recu"), body, status=413).text == "requête trop grande"
    testapp.get(url("sms-recu"), {"q": "y" * 9000}, status=413)
    assert replying.received == [] and counts(dbsession) == before


def test_csrf_is_not_asked_but_the_rate_is_counted_per_address(testapp, callbacks, app):
    app.registry.settings[f"vvs.sms.{NAME}.callback_rate"] = "2/60"
    address = {"REMOTE_ADDR": "192.0.2.44"}
    for _ in range(2):
        post_json(testapp, url("accuse-reception"), {"ref": "r", "status": "QUEUED"}, extra_environ=address)
    limited = post_json(testapp, url("accuse-reception"), {"ref": "r", "status": "QUEUED"}, extra_environ=address,
                        status=429)
    assert int(limited.headers["Retry-After"]) >= 1
    # a wrong token counts too: guessing it is rate-limited
    post_json(testapp, url("accuse-reception", token="x" * 40), {}, extra_environ=address, status=429)
    # another address is not limited
    post_json(testapp, url("accuse-reception"), {"ref": "r", "status": "QUEUED"},
              extra_environ={"REMOTE_ADDR": "192.0.2.45"})


def test_callbacks_are_closed_without_a_token(testapp, callbacks, app):
    app.registry.settings[f"vvs.sms.{NAME}.callback_token"] = ""
    post_json(testapp, url("accuse-reception", token="x" * 40), {"ref": "r", "status": "QUEUED"}, status=403)


def test_a_provider_without_callbacks_is_not_served(testapp, app):
    """The default console provider offers no parse_receipt: its URLs do not exist."""
    assert provider_on(app.registry, "sms").name == "console"
    testapp.get(url("accuse-reception", provider="console"), status=404)
