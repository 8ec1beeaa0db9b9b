"""The town hall's forms read through ``vvs_core.web.forms.read_fields`` (issue 14):
hostile input (empty, 20,000 characters, 30 digits, negative numbers, a file for a field,
missing fields, control characters, unknown choices) answers a French message beside its
field, every error in one pass, changes nothing and is never a 500; what agents type
(« » ’, emoji) is kept."""
from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from vvs_core.models.notification import Notification
from vvs_mairie.models import AlertAcknowledgement, MairieAgent, MairieAlert, MairieCommunication
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

from test_follow_up import _alert

LONG = "é" * 20000
DIGITS = "9" * 30
KEPT = "Brocante « place de l’Église » dimanche 🎪"
COMMS = "/mairie/77449/communications"


def _count(dbsession, model) -> int:
    return dbsession.scalar(select(func.count()).select_from(model))


def test_hostile_communications_publish_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    for form, messages in [
        ({}, ["Indiquez un titre de 140 caractères au plus.", "Écrivez le texte (5000 caractères au plus)."]),
        ({"title": LONG, "text": LONG, "action": "message", "communities": DIGITS},
         ["Indiquez un titre de 140", "Écrivez le texte (5000", "Cochez au moins une communauté."]),
        ({"title": KEPT, "text": KEPT, "action": "message", "communities": "-1"}, ["Cochez au moins une communauté."]),
        ({"title": KEPT, "text": KEPT, "action": "message", "communities": "²"}, ["Cochez au moins une communauté."]),
        ({"title": "Brocante\x00", "text": KEPT}, ["caractères de contrôle invisibles"]),
    ]:
        page = testapp.post_csrf(COMMS, form, status=400)
        assert all(message in page.text for message in messages), form
    page = testapp.post(COMMS, {"csrf_token": testapp.csrf(), "text": KEPT}, upload_files=[("title", "t.txt", b"x")],
                        status=400)
    assert "Indiquez un titre" in page.text
    assert _count(dbsession, MairieCommunication) == 0
    assert _count(dbsession, Notification) == 0
    testapp.post_csrf(COMMS, {"title": f" {KEPT} ", "text": KEPT, "action": "publish"}, status=303)
    assert dbsession.scalars(select(MairieCommunication)).one().title == KEPT


def test_hostile_updates_of_a_commune_alert_send_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Orages", "body": "Rentrez vos objets.", "target": "commune", "confirm": "1"}
    url = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    sent = _count(dbsession, Notification)
    for form, messages in [
        ({}, ["Choisissez : mise à jour ou fin d'alerte."]),
        ({"kind": LONG, "body": LONG}, ["Choisissez : mise à jour ou fin d'alerte.",
                                        "Le message doit tenir en 2000 caractères."]),
        ({"kind": "update", "body": "  "}, ["Écrivez le texte de la mise à jour."]),
        ({"kind": "update", "body": "Décrue\x1b"}, ["caractères de contrôle invisibles"]),
    ]:
        page = testapp.post_csrf(url, form, status=400)
        assert all(message in page.text for message in messages), form
    testapp.post(url, {"csrf_token": testapp.csrf()}, upload_files=[("kind", "k.txt", b"update")], status=400)
    assert _count(dbsession, MairieAlert) == 1 and _count(dbsession, Notification) == sent
    testapp.post_csrf(url, {"kind": "update", "body": KEPT}, status=303)
    assert dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id.is_not(None))).one().body == KEPT


def test_hostile_follow_ups_change_nothing(testapp, dbsession, mairie, agent_login):
    alert = _alert(dbsession, mairie)
    agent_login(testapp, mairie)
    url = f"/mairie/77449/signalements/{alert.id}"
    for form, messages in [
        ({}, ["Choisissez un statut"]),
        ({"status": LONG, "reply": LONG}, ["Choisissez un statut", "Réponse trop longue : 500 caractères au plus"]),
        ({"status": "close", "reply": "ok\x00"}, ["caractères de contrôle invisibles"]),
        ({"status": "close", "seen_reply": DIGITS, "seen": LONG}, []),
    ]:
        answer = testapp.post_csrf(url, form, expect_errors=True)
        assert answer.status_int in (400, 303) and all(message in answer.text for message in messages), form
        if messages:
            assert answer.status_int == 400
    testapp.post(url, {"csrf_token": testapp.csrf()}, upload_files=[("reply", "r.txt", b"x")], status=400)
    assert _count(dbsession, AlertAcknowledgement) <= 1


def test_hostile_channels_and_retention_change_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    for channels in ([], [""], ["pigeon"], [LONG], ["📯"]):
        page = testapp.post_csrf("/mairie/77449/mes-alertes", {"channels": channels}, status=400)
        assert "Choisissez au moins un moyen de recevoir les alertes." in page.text
    dbsession.expire_all()
    assert dbsession.get(MairieAgent, mairie.agent.id).alert_channels == ["email"]
    testapp.post_csrf("/mairie/77449/mes-alertes", {"channels": ["sms", "sms", "email"]}, status=303)
    dbsession.expire_all()
    assert dbsession.get(MairieAgent, mairie.agent.id).alert_channels == ["sms", "email"]
    for days in ("²", "１８２５", DIGITS, LONG, "-365", " "):
        page = testapp.post_csrf("/mairie/77449/preuve/verifier", {"retention_days": days}, status=400)
        assert "Choisissez une durée de la liste." in page.text
    page = testapp.post("/mairie/77449/preuve/verifier", {"csrf_token": testapp.csrf()},
                        upload_files=[("retention_days", "d.txt", b"365")], status=400)
    assert "Choisissez une durée de la liste." in page.text


def test_hostile_second_factor_codes_are_wrong_codes(testapp, mairie):
    testapp.login(mairie.agent_user)
    for form in ({"code": LONG}, {"code": "１２３４５６"}, {"recovery": DIGITS}):
        assert "incorrect" in testapp.post_csrf("/mairie/2fa", form, status=400).text
    page = testapp.post("/mairie/2fa", {"csrf_token": testapp.csrf()}, upload_files=[("code", "c.txt", b"123456")],
                        status=400)
    assert "Code incorrect" in page.text
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(mairie.secret).now()}, status=303)
