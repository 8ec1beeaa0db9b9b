"""The register of vulnerable residents on the real parts: self-registration with
consent, a third party's written request active only after 8 days without objection
(the clock moved, never slept), the objection link, the review, the CCAS alone reading
it (every reading logged), the data sealed apart, the exports, and the hook that sends
the CCAS the registered people first."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from vvs_core.models.notification import Notification
from vvs_vulnerable.models import VulnerableEntry, VulnerableReading

SIGNUP = "/registre-vulnerables/inscription"
REGISTER = "/registre-vulnerables/77449"
SELF = {"origin": "self", "name": "Marcelle Dupré-Nguyễn", "address": "3 rue de l’Église, Serris",
        "phone": "06 39 98 00 42", "situations": "age65", "needs": "Fauteuil roulant ; chat « Minou » 🐈",
        "consent": "1"}
THIRD = {"origin": "third_party", "name": "Lucien Martin", "address": "12 allée des Tilleuls, Serris",
         "phone": "06 39 98 00 43", "situations": "handicap", "relationship": "Voisin",
         "written_request": "Monsieur le Maire, je demande l’inscription de mon voisin, qui vit seul.", "inform": "1"}


def readings(dbsession) -> list[str]:
    dbsession.flush()
    return [r.action for r in dbsession.scalars(select(VulnerableReading).order_by(VulnerableReading.id))]


def test_self_registration_with_consent_is_active_at_once_and_sealed(testapp, dbsession, mairie, clock):
    resident = mairie.residents[0]
    testapp.login(resident)
    assert "Moi-même" in testapp.get(SIGNUP).text
    testapp.post_csrf(SIGNUP, SELF, status=303)
    entry = dbsession.scalar(select(VulnerableEntry))
    assert entry.origin == "self" and entry.user_id == resident.id and entry.state(clock.now()) == "active"
    raw = dbsession.execute(text("SELECT sealed FROM vulnerable_entries")).scalar()
    assert "Marcelle" not in raw and "Église" not in raw and "06 39" not in raw and raw.startswith("gAAAA")
    page = testapp.get("/registre-vulnerables/mes-inscriptions")
    assert "Marcelle Dupré-Nguyễn" in page.text and "inscrite" in page.text


@pytest.mark.parametrize("change, message", [
    ({"consent": None}, "sans son consentement"),
    ({"situations": None}, "Cochez la situation"),
    ({"name": ""}, "Indiquez le nom"),
    ({"address": "   "}, "Indiquez l'adresse"),
    ({"phone": "12"}, "Numéro de téléphone invalide"),
    ({"email": "pas@"}, "Adresse e-mail invalide"),
    ({"name": "x" * 121}, "120 caractères"),
    ({"origin": "roi"}, "Indiquez qui vous inscrivez"),
    ({"origin": "representative"}, "à quel titre"),
    ({"origin": "third_party"}, "Écrivez votre demande"),
])
def test_bad_input_changes_nothing(testapp, dbsession, mairie, change, message):
    testapp.login(mairie.residents[0])
    form = {k: v for k, v in {**SELF, **change}.items() if v is not None}
    page = testapp.post_csrf(SIGNUP, form, status=400)
    assert message in page.text
    assert dbsession.scalar(select(func.count(VulnerableEntry.id))) == 0


def test_a_third_party_registration_is_active_only_after_8_days_without_objection(testapp, dbsession, mairie,
                                                                                   clock, ccas_login):
    clock.set_local(2026, 7, 1, 10, 0)
    testapp.login(mairie.residents[1])
    testapp.post_csrf(SIGNUP, THIRD, status=303)
    entry = dbsession.scalar(select(VulnerableEntry))
    assert entry.origin == "third_party" and entry.user_id is None and entry.informed_at is not None
    told = list(dbsession.scalars(select(Notification).where(Notification.kind == "vulnerable_register")))
    assert [(n.channel, n.address) for n in told] == [("sms", "+33639980043")]
    assert "/registre-vulnerables/opposition/" in told[0].body and "09/07/2026" in told[0].body
    assert entry.state(clock.now()) == "waiting"

    ccas_login(testapp)
    page = testapp.get(REGISTER)
    assert "Lucien Martin" in page.text and "en attente" in page.text
    clock.advance(days=7, hours=23)
    assert entry.state(clock.now()) == "waiting"
    clock.advance(hours=1)
    assert entry.state(clock.now()) == "active"
    ccas_login(testapp)  # eight days later: a new session
    assert "inscrite" in testapp.get(REGISTER).text
    # Exported only when active.
    assert "Lucien Martin" in testapp.get(REGISTER + "/registre.csv").body.decode("utf-8-sig")


def test_the_person_objects_through_the_link_and_is_erased(app, testapp, dbsession, mairie, clock):
    from vvs_vulnerable import register

    testapp.login(mairie.residents[1])
    testapp.post_csrf(SIGNUP, THIRD, status=303)
    body = dbsession.scalar(select(Notification.body).where(Notification.kind == "vulnerable_register"))
    path = "/registre-vulnerables/opposition/" + body.rsplit("/registre-vulnerables/opposition/", 1)[1].split()[0]
    from vvs_core.testing import VVSTestApp

    person = VVSTestApp(app)  # no account
    page = person.get(path)
    assert "Je refuse" in page.text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert "enregistrée" in person.post(path, {"csrf_token": token}, status=200).text
    entry = dbsession.scalar(select(VulnerableEntry))
    dbsession.refresh(entry)
    assert entry.status == "objected" and entry.sealed == ""
    clock.advance(days=30)
    assert entry.state(clock.now()) == "objected"
    assert "enregistrée" in person.get(path).text
    person.get("/registre-vulnerables/opposition/" + "x" * 30, status=404)
    assert register.entry_by_token(dbsession, "y" * 500) is None


def test_a_non_ccas_agent_gets_403_and_each_reading_is_logged(testapp, dbsession, mairie, agent_login, ccas_login,
                                                              clock):
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    entry = dbsession.scalar(select(VulnerableEntry))
    testapp.reset()
    agent_login(testapp, mairie)  # an agent of the mairie, role « agent »
    for path in (REGISTER, f"{REGISTER}/fiches/{entry.id}", REGISTER + "/registre.csv", REGISTER + "/registre.pdf",
                 REGISTER + "/journal"):
        testapp.get(path, status=403)
    assert readings(dbsession) == []

    ccas_login(testapp)
    testapp.get(REGISTER)
    testapp.get(f"{REGISTER}/fiches/{entry.id}")
    testapp.get(REGISTER + "/registre.csv")
    pdf = testapp.get(REGISTER + "/registre.pdf")
    assert pdf.body.startswith(b"%PDF")
    assert readings(dbsession) == ["consultation du registre", "lecture d'une fiche", "export CSV pour le préfet",
                                   "export PDF pour le préfet"]
    journal = testapp.get(REGISTER + "/journal").text
    assert journal.count("Camille Sociale-Ébrard") == 4 and f"fiche n° {entry.id}" in journal


def test_review_on_schedule(testapp, dbsession, mairie, ccas_login, clock):
    clock.set_local(2026, 1, 10, 9, 0)
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    entry = dbsession.scalar(select(VulnerableEntry))
    ccas_login(testapp)
    assert "à revoir" not in testapp.get(REGISTER).text
    clock.advance(days=366)
    ccas_login(testapp)
    assert "à revoir" in testapp.get(REGISTER).text
    testapp.post_csrf(f"{REGISTER}/fiches/{entry.id}/revue", {}, status=303)
    dbsession.refresh(entry)
    assert entry.next_review_at == clock.now() + timedelta(days=365)
    assert "à revoir" not in testapp.get(REGISTER).text


def test_withdrawal_and_removal_erase_the_data(testapp, dbsession, mairie, ccas_login):
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    first = dbsession.scalar(select(VulnerableEntry))
    testapp.post_csrf(f"/registre-vulnerables/mes-inscriptions/{first.id}/retirer", {}, status=303)
    dbsession.refresh(first)
    assert first.status == "withdrawn" and first.sealed == ""
    testapp.post_csrf(SIGNUP, SELF, status=303)
    second = dbsession.scalar(select(VulnerableEntry).where(VulnerableEntry.id != first.id))
    other = mairie.residents[1]
    testapp.reset()
    testapp.login(other)
    testapp.post_csrf(f"/registre-vulnerables/mes-inscriptions/{second.id}/retirer", {}, status=404)
    ccas_login(testapp)
    testapp.post_csrf(f"{REGISTER}/fiches/{second.id}/radier", {}, status=303)
    dbsession.refresh(second)
    assert second.status == "removed" and second.sealed == ""


def test_hostile_input_and_csv_injection(testapp, dbsession, mairie, ccas_login):
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, {**SELF, "name": "=HYPERLINK(\"http://x\")<script>\x00", "needs": "<b>x</b>"},
                      status=303)
    ccas_login(testapp)
    page = testapp.get(REGISTER)
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    csv = testapp.get(REGISTER + "/registre.csv").body.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv
    assert testapp.get(REGISTER + "/registre.pdf").body.startswith(b"%PDF")
    testapp.get(REGISTER + "/fiches/99999999999999999999", status=404)


def test_vvs_vulnerable_tell_ccas(app_request, dbsession, mairie, ccas, testapp):
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    hook = app_request.registry.vvs_plugins.hook
    ccas_user, _secret = ccas
    ids = [u.id for u in mairie.residents]
    registered = hook.vvs_vulnerable_tell_ccas(request=app_request, commune=mairie.commune, user_ids=ids,
                                               ccas_user_ids=[ccas_user.id], reason="Appel « Êtes-vous en sécurité ? »")
    assert registered == [mairie.residents[0].id]
    told = list(dbsession.scalars(select(Notification).where(Notification.recipient_id == ccas_user.id,
                                                             Notification.kind == "vulnerable_register")))
    assert {n.channel for n in told} == {"email", "sms"}
    assert "Marcelle Dupré-Nguyễn" in told[0].body and "3 rue de l’Église" in told[0].body
    assert readings(dbsession)[-1] == "liste envoyée au CCAS"
    assert hook.vvs_vulnerable_tell_ccas(request=app_request, commune=mairie.commune, user_ids=ids[1:],
                                         ccas_user_ids=[ccas_user.id], reason="x") == []
