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
    ({"email": "marcelle@orange"}, "Adresse e-mail incomplète : il manque la fin, par exemple « @orange.fr »."),
    ({"email": "Marcelle Dupré@orange.fr"}, "Une adresse e-mail ne contient ni accent ni espace."),
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


def test_a_person_with_only_a_landline_is_called_not_texted(testapp, app, dbsession, mairie, clock, tmp_path):
    """The notice that opens the 8 days to object must reach the person: a fixed line gets a call
    that says how to object (no link to follow on a telephone); without a voice provider, no SMS
    to a fixed line either: the CCAS writes to the person."""
    from app_changes import changed
    from vvs_dev_providers.providers import FolderVoiceCaller

    clock.set_local(2026, 7, 1, 10, 0)
    testapp.login(mairie.residents[1])
    landline = {**THIRD, "phone": "01 99 00 00 31", "name": "Bérénice Œuvray"}
    with changed(app.registry, providers={"voice": None}):
        page = testapp.post_csrf(SIGNUP, landline, status=303).follow()
        assert "le CCAS la préviendra par courrier" in page.text
    with changed(app.registry, providers={"voice": FolderVoiceCaller(str(tmp_path / "appels"))}):
        page = testapp.post_csrf(SIGNUP, {**landline, "name": "Gaël Lœb"}, status=303).follow()
        assert "elle a été prévenue" in page.text
    told = list(dbsession.scalars(select(Notification).where(Notification.kind == "vulnerable_register")))
    assert [(n.channel, n.address) for n in told] == [("voice", "+33199000031")]
    assert "Gaël Lœb" in told[0].body and "09/07/2026" in told[0].body
    assert "http" not in told[0].body and "en appelant" in told[0].body


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
    asked = testapp.post_csrf(f"/registre-vulnerables/mes-inscriptions/{first.id}/retirer", {}, status=200)
    said = " ".join(asked.text.split())  # one tap asks first: the data goes for good
    assert "Retirer l'inscription de Marcelle Dupré-Nguyễn ?" in said and "Vous pourrez l'inscrire à nouveau." in said
    assert asked.html.find("a", string="Annuler")["href"] == "/registre-vulnerables/mes-inscriptions"
    dbsession.refresh(first)
    assert first.status == "active" and first.sealed
    asked.forms["confirmation"].submit("submit", status=303)
    dbsession.refresh(first)
    assert first.status == "withdrawn" and first.sealed == ""
    testapp.post_csrf(SIGNUP, SELF, status=303)
    second = dbsession.scalar(select(VulnerableEntry).where(VulnerableEntry.id != first.id))
    other = mairie.residents[1]
    testapp.reset()
    testapp.login(other)
    testapp.post_csrf(f"/registre-vulnerables/mes-inscriptions/{second.id}/retirer", {}, status=404)
    ccas_login(testapp)
    before = len(readings(dbsession))
    asked = testapp.post_csrf(f"{REGISTER}/fiches/{second.id}/radier", {}, status=200)
    said = " ".join(asked.text.split())
    assert "Radier Marcelle Dupré-Nguyễn du registre ?" in said and "C'est définitif" in said
    assert readings(dbsession)[before:] == ["lecture d'une fiche"]  # the question shows the name: a reading
    dbsession.refresh(second)
    assert second.status == "active"
    asked.forms["confirmation"].submit("submit", status=303)
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


def test_the_pdf_export_reads_in_french_with_its_emoji_said_in_words(testapp, mairie, ccas_login, clock):
    from vvs_core.testing import pdf_text

    clock.set_local(2026, 12, 6, 23, 30)  # the date the export is dated (Paris), whatever the day the suite runs
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    ccas_login(testapp)
    text = " ".join(pdf_text(testapp.get(REGISTER + "/registre.pdf").body).split())
    assert "Marcelle Dupré-Nguyễn" in text and "06/12/2026" in text and "3 rue de l’Église" in text and "chat « Minou »" in text
    assert "?" not in text and "🐈" not in text and "(chat)" not in text  # « chat « Minou » 🐈 »: said once


def _chessy_with_its_ccas(dbsession, make_user):
    """Another commune, with its own subscribed mairie and CCAS agent."""
    from shapely.geometry import Point

    from vvs_core.models import Commune
    from vvs_core.testing import TEST_SECRET
    from vvs_mairie.agents import mairie_of
    from vvs_mairie.testing import enrol_agent

    chessy = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.77, 48.87))
    dbsession.add(chessy)
    dbsession.flush()
    mairie_of(dbsession, chessy.id, create=True).subscribed = True
    user = make_user(first_name="Noé", last_name="Chessy-Ccas", mobile="+33611110009")
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, user, chessy, role="ccas", channels=("email", "sms"))
    return chessy, user, secret


def test_vvs_vulnerable_tell_ccas(app_request, dbsession, mairie, ccas, ccas_login, testapp, make_user, clock):
    """The register chooses its readers: the commune's CCAS agents get the link of the list
    (never a name, an address or a need: the outbox keeps its messages in clear), read on
    the CCAS's page, each reading in the journal; the CCAS of another commune sees nothing."""
    clock.set_local(2026, 7, 14, 23, 5)
    testapp.login(mairie.residents[0])
    testapp.post_csrf(SIGNUP, SELF, status=303)
    testapp.reset()
    testapp.login(mairie.residents[1])
    testapp.post_csrf(SIGNUP, THIRD, status=303)  # no account: always in the list once active
    clock.advance(days=8, minutes=1)
    chessy, chessy_ccas, chessy_secret = _chessy_with_its_ccas(dbsession, make_user)
    hook = app_request.registry.vvs_plugins.hook
    ccas_user, _secret = ccas
    ids = [u.id for u in mairie.residents]
    answer = hook.vvs_vulnerable_tell_ccas(request=app_request, commune=mairie.commune, user_ids=ids,
                                           reason="Appel « Êtes-vous en sécurité ? » lancé le 22/07/2026 à 23:06 🌊")
    assert answer == {"user_ids": [mairie.residents[0].id], "people": 2, "agents": 1}
    told = list(dbsession.scalars(select(Notification).where(Notification.kind == "vulnerable_register",
                                                             Notification.subject_type == "vulnerable_list")))
    assert {(n.recipient_id, n.channel) for n in told} == {(ccas_user.id, "email"), (ccas_user.id, "sms")}
    for message in told:
        assert "Marcelle" not in message.body and "Église" not in message.body and "Fauteuil" not in message.body
        assert "Lucien" not in message.body and "2 personnes inscrites à joindre en priorité" in message.title
        assert "/registre-vulnerables/77449/a-joindre/" in message.body
    email = next(n for n in told if n.channel == "email")
    assert email.body.startswith("Appel « Êtes-vous en sécurité ? » lancé le 22/07/2026 à 23:06 🌊")
    assert readings(dbsession)[-1] == "liste prioritaire envoyée au CCAS"
    link = email.body.split("http://localhost", 1)[1].split()[0] if "http://localhost" in email.body else \
        "/registre-vulnerables/77449/a-joindre/" + email.body.rsplit("/a-joindre/", 1)[1].split()[0]

    ccas_login(testapp)
    page = testapp.get(link)
    assert "Marcelle Dupré-Nguyễn" in page.text and "3 rue de l’Église" in page.text and "🐈" in page.text
    assert "Lucien Martin" in page.text and "sans compte : à appeler" in page.text
    assert readings(dbsession)[-1] == "lecture d'une liste prioritaire"
    journal = testapp.get(REGISTER + "/journal").text
    assert "lecture d'une liste prioritaire" in journal and "liste prioritaire envoyée au CCAS" in journal
    assert "22/07/2026" in journal  # Paris time

    testapp.reset()  # the CCAS of Chessy: neither the list of Serris nor anything in its journal
    testapp.login(chessy_ccas)
    import pyotp

    from vvs_core.clock import timestamp

    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(chessy_secret).at(timestamp())}, status=303)
    assert testapp.get(link, expect_errors=True).status_int == 403
    assert testapp.get(link.replace("77449", "77111"), expect_errors=True).status_int == 404
    assert not list(dbsession.scalars(select(Notification).where(Notification.recipient_id == chessy_ccas.id)))
    assert hook.vvs_vulnerable_tell_ccas(request=app_request, commune=chessy, user_ids=ids, reason="x") is None
    # everyone answered but the register still holds a person without an account
    assert hook.vvs_vulnerable_tell_ccas(request=app_request, commune=mairie.commune, user_ids=[],
                                         reason="x")["people"] == 1


def test_vvs_vulnerable_ccas_agents(app_request, dbsession, mairie, ccas, make_user):
    """vvs_mairie names the agents of role « CCAS » of the commune, not its other agents."""
    chessy, chessy_ccas, _secret = _chessy_with_its_ccas(dbsession, make_user)
    hook = app_request.registry.vvs_plugins.hook.vvs_vulnerable_ccas_agents

    def ids(commune):
        return {i for answer in hook(request=app_request, commune=commune) for i in answer}

    assert ids(mairie.commune) == {ccas[0].id}
    assert ids(chessy) == {chessy_ccas.id}
