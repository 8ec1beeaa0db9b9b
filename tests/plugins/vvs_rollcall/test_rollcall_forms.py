"""The roll-call's forms read through ``vvs_core.web.forms.read_fields`` (issue 14): hostile
input (empty, 20,000 characters, 30 digits, negative numbers, a file for a field, missing
fields, control characters) answers a French message naming the field, every error in one
pass, changes nothing and is never a 500; what people type (« » ’, emoji) is kept."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from vvs_core.testing import VVSTestApp
from vvs_rollcall.models import RollCall, RollCallPerson, RollCallSettings
from vvs_rollcall.service import settings_of

from rollcall_helpers import answer_link

INSEE = "77449"
KEPT = "Crue de la Marne : « restez » à l’étage 🌊"
LONG = "é" * 20000
DIGITS = "9" * 30


def _launch(testapp, fields, **kw):
    return testapp.post_csrf(f"/securite/{INSEE}/nouvel-appel", {"confirm": "1", **fields}, expect_errors=True, **kw)


def _count(dbsession, model):
    return dbsession.scalar(select(func.count()).select_from(model))


def _refused(dbsession, answer, expected, model) -> None:
    """A 400 that names every ``expected`` message, and still no ``model`` row."""
    assert answer.status_int == 400
    for message in expected:
        assert message in answer.text
    assert _count(dbsession, model) == 0


@pytest.mark.parametrize("fields, expected", [
    ({}, ["Choisissez qui interroger."]),
    ({"target": ""}, ["Choisissez qui interroger."]),
    ({"target": LONG, "message": LONG}, ["Choisissez qui interroger.", "Le message doit tenir en 500 caractères."]),
    ({"target": "commune", "message": LONG}, ["Le message doit tenir en 500 caractères."]),
    ({"target": "commune", "message": "Crue\x00"}, ["caractères de contrôle invisibles"]),
    ({"target": "communities", "communities": DIGITS}, ["Cochez au moins une communauté."]),
    ({"target": "communities", "communities": "-1"}, ["Cochez au moins une communauté."]),
    ({"target": "communities", "communities": "🌊"}, ["Cochez au moins une communauté."]),
    ({"target": "area", "area": LONG}, ["illisible"]),
])
def test_hostile_launches_change_nothing(testapp, dbsession, mairie, agent_login, fields, expected):
    agent_login(testapp, mairie)
    answer = _launch(testapp, fields)
    _refused(dbsession, answer, expected, RollCall)


def test_a_file_for_a_field_is_an_empty_field(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    answer = _launch(testapp, {"message": KEPT}, upload_files=[("target", "cible.txt", b"commune")])
    assert answer.status_int == 400 and "Choisissez qui interroger." in answer.text
    assert _count(dbsession, RollCall) == 0
    _launch(testapp, {"target": "commune", "message": f"  {KEPT}\n  ",
                      "communities": str(mairie.community.id)}).follow()
    assert dbsession.scalars(select(RollCall)).one().message == KEPT


@pytest.mark.parametrize("fields, expected", [
    ({"minutes_1": "-5", "to_1": "ccas"}, ["Relance 1 : indiquez un délai entre 1 et 1440 minutes."]),
    ({"minutes_1": DIGITS, "to_1": "ccas"}, ["Relance 1 : indiquez un délai"]),
    ({"minutes_1": LONG, "to_1": "ccas"}, ["Relance 1 : indiquez un délai"]),
    ({"minutes_1": "2.5", "to_1": "ccas"}, ["Relance 1 : indiquez un délai"]),
    ({"minutes_1": "１０", "to_1": "ccas"}, ["Relance 1 : indiquez un délai"]),
    ({"to_1": "ccas"}, ["Relance 1 : indiquez un délai"]),
    ({"minutes_1": "10", "to_1": "🚒"}, ["Relance 1 : cochez au moins un destinataire."]),
    # every error in one pass: a bad delay, its missing duty, another wave and the retention
    ({"minutes_1": "abc", "minutes_2": "0", "to_2": "ccas", "retention_days": "-1"},
     ["Relance 1 : indiquez un délai", "Relance 1 : cochez au moins un destinataire.",
      "Relance 2 : indiquez un délai", "Durée de conservation : un nombre de jours"]),
    ({"retention_days": DIGITS}, ["Durée de conservation : un nombre de jours"]),
    ({"retention_days": LONG}, ["Durée de conservation : un nombre de jours"]),
    ({"retention_days": "« 30 »"}, ["Durée de conservation : un nombre de jours"]),
])
def test_hostile_settings_change_nothing(testapp, dbsession, mairie, agent_login, fields, expected):
    agent_login(testapp, mairie)
    answer = testapp.post_csrf(f"/securite/{INSEE}/reglages", fields, expect_errors=True)
    _refused(dbsession, answer, expected, RollCallSettings)


def test_empty_settings_keep_the_site_defaults(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    testapp.post_csrf(f"/securite/{INSEE}/reglages", {"minutes_1": " ", "retention_days": " "}, status=303)
    row = settings_of(dbsession, mairie.commune.id)
    assert (row.waves, row.retention_days, row.referents_may_launch) == ([], None, False)


def test_hostile_answers_record_nothing(testapp, app, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    _launch(testapp, {"target": "commune", "message": KEPT})
    link = answer_link(dbsession, mairie.residents[0])
    stranger = VVSTestApp(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', stranger.get(link).text).group(1)
    for fields, expected in [
        ({}, ["Choisissez « Je suis en sécurité » ou « J'ai besoin d'aide »."]),
        ({"answer": LONG, "note": LONG}, ["Choisissez « Je suis en sécurité »", "Votre message doit tenir en 500"]),
        ({"answer": "help", "note": "Au secours\x1b"}, ["caractères de contrôle invisibles"]),
    ]:
        page = stranger.post(link, {"csrf_token": token, **fields}, status=400)
        assert all(message in page.text for message in expected)
    page = stranger.post(link, {"csrf_token": token}, upload_files=[("answer", "a.txt", b"safe")], status=400)
    assert "Choisissez « Je suis en sécurité »" in page.text
    dbsession.expire_all()
    assert _count(dbsession, RollCallPerson) and not dbsession.scalar(
        select(func.count()).select_from(RollCallPerson).where(RollCallPerson.answer.is_not(None)))
    stranger.post(link, {"csrf_token": token, "answer": "help", "note": f" {KEPT}\n"}, status=200)
    dbsession.expire_all()
    person = dbsession.scalar(select(RollCallPerson).where(RollCallPerson.user_id == mairie.residents[0].id))
    assert (person.answer, person.note) == ("help", KEPT)


def test_hostile_marks_by_an_agent_record_nothing(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    _launch(testapp, {"target": "commune", "message": KEPT})
    person = dbsession.scalars(select(RollCallPerson)).first()
    rollcall = dbsession.scalars(select(RollCall)).one()
    url = f"/securite/{INSEE}/appels/{rollcall.id}/personnes/{person.id}"
    for fields in [{}, {"answer": "peut-être"}, {"answer": "safe", "note": LONG}, {"answer": DIGITS}]:
        page = testapp.post_csrf(url, fields, status=303).follow()
        assert "Choisissez « en sécurité » ou « besoin d'aide »." in page.text or "500 caractères" in page.text
    dbsession.expire_all()
    assert dbsession.get(RollCallPerson, person.id).answer is None
