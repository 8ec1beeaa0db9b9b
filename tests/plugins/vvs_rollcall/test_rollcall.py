"""The roll-call « Êtes-vous en sécurité ? » end to end on the real application: launched
by an agent, answered OUI by SMS (through the provider's callbacks), AIDE by the link
(the mairie told at once), in the web app; a silent resident named to the référent
after the configured delay, then to the CCAS (the clock moved, never slept); the live
state, the closing and its summary; and hostile input everywhere."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from vvs_core.notify.sms import is_gsm7
from vvs_core.testing import VVSTestApp, pdf_text
from vvs_rollcall import tasks
from vvs_rollcall.escalation import escalate_due
from vvs_rollcall.models import RollCall, RollCallLog, RollCallPerson, RollCallSettings
from vvs_rollcall.service import keyword_of, settings_of

from app_changes import changed
from rollcall_helpers import answer_link, rows, send_sms

INSEE = "77449"


def launch(testapp, **fields):
    params = {"target": "commune", "confirm": "1", "message": "Crue de la Marne : « restez » à l’étage 🌊", **fields}
    return testapp.post_csrf(f"/securite/{INSEE}/nouvel-appel", params, expect_errors=True)


def the_rollcall(dbsession):
    dbsession.expire_all()
    return dbsession.scalars(select(RollCall).order_by(RollCall.id.desc())).first()


def person_of(dbsession, rollcall, user):
    dbsession.expire_all()
    return dbsession.scalar(select(RollCallPerson).where(RollCallPerson.rollcall_id == rollcall.id,
                                                         RollCallPerson.user_id == user.id))


def test_acceptance_oui_by_sms_aide_by_link_silence_escalated(testapp, app, dbsession, mairie, agent_login, staff,
                                                              sms_callbacks, clock):
    clock.set_local(2026, 12, 6, 14, 0)
    oui, aide, silent = mairie.residents
    agent_login(testapp, mairie)
    answer = launch(testapp)
    assert answer.status_int == 303
    rollcall = the_rollcall(dbsession)
    assert answer.location.endswith(f"/securite/{INSEE}/appels/{rollcall.id}")
    assert {p.user_id for p in dbsession.scalars(select(RollCallPerson))} == {oui.id, aide.id, silent.id,
                                                                              staff["referent"].id}
    [sms] = rows(dbsession, kind="rollcall", recipient_id=silent.id, channel="sms")
    assert "Etes-vous en sécurité ?" in sms.body and "OUI ou AIDE" in sms.body and "/securite/r/" in sms.body
    assert "Répondez OUI ou AIDE à ce SMS" in sms.body and is_gsm7(sms.body)  # é and à are GSM-7

    # OUI by SMS, through the core's provider callback
    reply = send_sms(testapp, oui.mobile, "Oui !", "in-1")
    assert reply.text == "reçu, réponse envoyée"
    assert person_of(dbsession, rollcall, oui).answer == "safe"
    assert person_of(dbsession, rollcall, oui).answered_via == "sms"
    [back] = rows(dbsession, address=oui.mobile, kind="sms_reply") or [r for r in rows(dbsession, address=oui.mobile)
                                                                       if "sécurité" in r.body and r.kind != "rollcall"]
    assert "vous êtes en sécurité" in back.body

    # AIDE by the one-tap link, without signing in: the mairie is told at once
    clock.advance(minutes=3)
    stranger = VVSTestApp(app)
    link = answer_link(dbsession, aide)
    page = stranger.get(link)
    assert "Êtes-vous en sécurité ?" in page.text and aide.last_name not in page.text  # a forwarded link shows no one
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = stranger.post(link, {"csrf_token": token, "answer": "help", "note": "Bloquée au 1er étage, l’eau monte"})
    assert "transmise à la mairie" in done.text
    told = rows(dbsession, kind="rollcall_help")
    assert {r.recipient_id for r in told} >= {mairie.agent_user.id, staff["ccas"].id, staff["police"].id}
    assert all(aide.full_name in r.body and aide.address_label in r.body and "06 12 34" in r.body for r in told)

    # the référent answers in the web app
    referent_app = VVSTestApp(app)
    referent_app.login(staff["referent"])
    mine = referent_app.get("/securite/mes-appels")
    person = person_of(dbsession, rollcall, staff["referent"])
    referent_app.post_csrf("/securite/mes-appels", {"person": str(person.id), "answer": "safe"}, status=303)
    assert person_of(dbsession, rollcall, staff["referent"]).answered_via == "web"
    assert "Êtes-vous en sécurité" in mine.text

    # nobody is told of the silent one before the delay…
    clock.advance(minutes=26)  # 29 minutes after the launch
    assert escalate_due(_request(app, dbsession)) == 0
    assert rows(dbsession, kind="rollcall_escalation") == []
    # …then the référent (by the periodic actor, as the scheduler runs it)
    clock.advance(minutes=2)
    tasks.escalate_rollcalls.fn()
    to_referent = rows(dbsession, kind="rollcall_escalation")
    assert {r.recipient_id for r in to_referent} == {staff["referent"].id}
    assert silent.full_name in to_referent[0].body and oui.full_name not in to_referent[0].body
    assert aide.full_name not in to_referent[0].body
    short = [r.body for r in rows(dbsession, kind="rollcall_escalation", channel="sms")]
    assert short and all(b.startswith("Sans réponse à l'appel de sécurité (1) : ") and is_gsm7(b) for b in short), short
    # then the CCAS, with the address and the phone
    clock.advance(minutes=30)
    assert escalate_due(_request(app, dbsession)) == 1
    to_ccas = [r for r in rows(dbsession, kind="rollcall_escalation") if r.recipient_id == staff["ccas"].id]
    assert {r.channel for r in to_ccas} == {"sms", "email"}
    email = next(r for r in to_ccas if r.channel == "email")
    assert silent.full_name in email.body and silent.address_label in email.body and "tél." in email.body
    assert escalate_due(_request(app, dbsession)) == 0  # run again: nothing sent twice

    # the live page and its JSON
    state = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/etat.json").json
    assert (state["counts"]["safe"], state["counts"]["help"], state["counts"]["waiting"]) == (2, 1, 1)
    live = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}")
    assert "Besoin d'aide" in live.text and "Bloquée au 1er étage" in live.text and "Relance 2 (après 60 min)" in live.text

    # closing, twice (a second agent a moment later): one summary, a French message
    closed = testapp.post_csrf(f"/securite/{INSEE}/appels/{rollcall.id}/cloturer").follow()
    assert "3 / 4" in closed.text and "Sans réponse" in closed.text and silent.full_name in closed.text
    again = testapp.post_csrf(f"/securite/{INSEE}/appels/{rollcall.id}/cloturer").follow()
    assert "déjà clos" in again.text
    assert dbsession.scalar(select(func.count()).select_from(RollCallLog).where(RollCallLog.action == "closed")) == 1
    csv = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/bilan.csv")
    assert csv.content_type == "text/csv" and "Besoin d'aide" in csv.text and aide.full_name in csv.text
    assert "14:03" in csv.text  # Paris time: the AIDE came at 14:03 in Serris
    pdf = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/bilan.pdf")
    assert pdf.content_type == "application/pdf"
    text = " ".join(pdf_text(pdf.body).split())
    first = text.index("Avant la relance 1 (de 14:00 à 14:30)")
    between = text.index("Entre les relances 1 et 2 (de 14:30 à 15:00)")
    after = text.index("Après la relance 2 (de 15:00 à 15:01)")
    silent_part = text.index("Sans réponse à la clôture (1)")
    assert first < between < after < silent_part
    answers = text[first:between]
    assert f"14:00 {oui.full_name} En sécurité SMS" in answers
    assert f"14:03 {aide.full_name} Besoin d'aide lien Bloquée au 1er étage, l’eau monte" in answers
    assert "Relance 1 (après 30 min)" in text[between:after] and "Aucune réponse." in text[between:after]
    assert silent.full_name in text[silent_part:] and silent.address_label in text[silent_part:]
    assert "Lancé le 06/12/2026 à 14:00" in text and "?" not in text.replace("sécurité ?", "")
    # after closing, the link answers no more and the periodic task does nothing
    refused = stranger.post(link, {"csrf_token": token, "answer": "safe"}, status=409)
    assert "clos" in refused.text
    clock.advance(hours=3)
    assert escalate_due(_request(app, dbsession)) == 0


def _request(app, dbsession):
    import transaction
    from pyramid.scripting import prepare

    request = prepare(registry=app.registry)["request"]
    request.dbsession = dbsession
    request.tm = transaction.TransactionManager(explicit=True)
    request.tm.begin()
    return request


@pytest.mark.parametrize("text, expected", [
    ("OUI", ("safe", "")), ("oui.", ("safe", "")), ("Oui ! merci", ("safe", "merci")), ("  aide  ", ("help", "")),
    ("AIDE, je suis bloqué", ("help", "je suis bloqué")), ("Aïde", ("help", "")), ("non", (None, "")),
    ("", (None, "")), ("👍", (None, "")), ("OUIOUI", (None, "")), ("x" * 5000, (None, "")),
])
def test_sms_keywords(text, expected):
    answer, rest = keyword_of(text)
    assert (answer, rest if answer else "") == expected


def test_an_sms_without_an_open_rollcall_goes_to_the_others(testapp, app, dbsession, mairie, agent_login, sms_callbacks):
    """No roll-call: the SMS is a residents' alert as before (vvs_alerts). During one, a
    free text from someone who has not answered gets the instructions."""
    resident = mairie.residents[0]
    hook = app.registry.vvs_plugins.hook
    from vvs_rollcall.inbound import answer_by_sms
    from vvs_core.hooktypes import InboundSMS

    message = InboundSMS(sender=resident.mobile, text="OUI", provider="t", provider_id="1")
    assert answer_by_sms(_request(app, dbsession), message) is None
    agent_login(testapp, mairie)
    launch(testapp, target="communities", communities=str(mairie.community.id))
    text = InboundSMS(sender=resident.mobile, text="Il pleut beaucoup", provider="t", provider_id="2")
    assert "Répondez OUI" in hook.vvs_inbound_sms(request=_request(app, dbsession), message=text)
    unknown = InboundSMS(sender="+33699999999", text="OUI", provider="t", provider_id="3")
    assert answer_by_sms(_request(app, dbsession), unknown) is None


@pytest.mark.parametrize("fields, field_error", [
    ({"target": "nulle-part"}, "Choisissez qui interroger."),
    ({"target": "communities", "communities": "999999"}, "Cochez au moins une communauté."),
    ({"target": "communities", "communities": "'; DROP TABLE users; --"}, "Cochez au moins une communauté."),
    ({"target": "area", "area": "{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,1]]]}"}, "illisible"),
    ({"target": "area", "area": "{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"}, "se croise"),
    ({"target": "area", "area": "[" * 10000}, "illisible"),
    ({"target": "area", "area": ""}, "Dessinez la zone"),
    ({"message": "é" * 501}, "500 caractères"),
])
def test_bad_launches_change_nothing(testapp, dbsession, mairie, agent_login, fields, field_error):
    agent_login(testapp, mairie)
    answer = launch(testapp, **fields)
    assert answer.status_int == 400 and field_error in answer.text
    assert dbsession.scalar(select(func.count()).select_from(RollCall)) == 0


def test_an_area_with_nobody_inside_is_refused(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    far = '{"type": "Polygon", "coordinates": [[[2.70, 48.80], [2.701, 48.80], [2.701, 48.801], [2.70, 48.80]]]}'
    answer = launch(testapp, target="area", area=far)
    assert answer.status_int == 400 and "Personne n'habite là" in answer.text


def test_an_area_reaches_only_the_homes_inside(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    first = mairie.residents[0].home  # the others live 15 and 30 m east
    ring = [[first.x - 0.0001, first.y - 0.0001], [first.x + 0.0001, first.y - 0.0001],
            [first.x + 0.0001, first.y + 0.0001], [first.x - 0.0001, first.y + 0.0001], [first.x - 0.0001, first.y - 0.0001]]
    import json

    preview = launch(testapp, target="area", area=json.dumps({"type": "Polygon", "coordinates": [ring]}), confirm="")
    assert "1 personne sera interrogée" in preview.text
    launch(testapp, target="area", area=json.dumps({"type": "Polygon", "coordinates": [ring]}))
    assert [p.user_id for p in dbsession.scalars(select(RollCallPerson))] == [mairie.residents[0].id]


@pytest.mark.parametrize("fields, message", [
    ({"minutes_1": "abc", "to_1": "referent"}, "Relance 1 : indiquez un délai"),
    ({"minutes_1": "0", "to_1": "referent"}, "Relance 1 : indiquez un délai"),
    ({"minutes_1": "99999999999999999999", "to_1": "ccas"}, "Relance 1 : indiquez un délai"),
    ({"minutes_1": "30"}, "Relance 1 : cochez au moins un destinataire"),
    ({"minutes_1": "60", "to_1": "ccas", "minutes_2": "30", "to_2": "maire"}, "doivent se suivre"),
    ({"retention_days": "-1"}, "Durée de conservation : un nombre de jours"),
    ({"retention_days": "9999"}, "Durée de conservation : un nombre de jours"),
    ({"retention_days": "30 jours 🗓"}, "Durée de conservation : un nombre de jours"),
])
def test_bad_settings_change_nothing(testapp, dbsession, mairie, agent_login, fields, message):
    agent_login(testapp, mairie)
    answer = testapp.post_csrf(f"/securite/{INSEE}/reglages", fields, expect_errors=True)
    assert answer.status_int == 400 and message in answer.text
    assert dbsession.scalar(select(func.count()).select_from(RollCallSettings)) == 0


def test_settings_apply_to_the_next_rollcalls(testapp, dbsession, mairie, agent_login, staff, clock):
    clock.set_local(2026, 12, 6, 9, 0)
    agent_login(testapp, mairie)
    assert "la durée du site (365 jours)" in testapp.get(f"/securite/{INSEE}/reglages").text
    testapp.post_csrf(f"/securite/{INSEE}/reglages", {"minutes_1": "10", "to_1": ["ccas", "police"],
                                                      "referents_may_launch": "1", "retention_days": " 90 "}, status=303)
    assert settings_of(dbsession, mairie.commune.id).retention_days == 90
    assert 'value="90"' in testapp.get(f"/securite/{INSEE}/reglages").text
    launch(testapp)
    rollcall = the_rollcall(dbsession)
    assert rollcall.waves == [{"minutes": 10, "to": ["ccas", "police"]}]
    clock.advance(minutes=10)
    assert escalate_due(_request(testapp.wsgi, dbsession)) == 1
    assert {r.recipient_id for r in rows(dbsession, kind="rollcall_escalation")} == {staff["ccas"].id, staff["police"].id}


def test_forged_or_foreign_links_answer_nothing(testapp, app, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    launch(testapp)
    link = answer_link(dbsession, mairie.residents[0])
    person_id, mac = link.rsplit("/", 1)[1].split("-", 1)
    for bad in [f"{int(person_id) + 1}-{mac}", f"{person_id}-{'A' * len(mac)}", "1", "<script>", "9" * 40 + "-x",
                f"{person_id}-{mac}x"]:
        page = VVSTestApp(app).get(f"/securite/r/{bad}", expect_errors=True)
        assert page.status_int == 404 and "Lien non valable" in page.text
    stranger = VVSTestApp(app)
    page = stranger.get(link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert stranger.post(link, {"csrf_token": token, "answer": "peut-être"}, status=400)
    assert stranger.post(link, {"answer": "safe"}, status=400)  # no CSRF token
    assert dbsession.scalar(select(func.count()).select_from(RollCallPerson).where(RollCallPerson.answer.is_not(None))) == 0


def test_a_link_sent_before_the_signed_links_helper_still_answers(testapp, app, dbsession, mairie, agent_login):
    """An SMS printed by the roll-call's own HMAC (before vvs_core.web.links.signed) still
    answers; another purpose's token for the same id answers nothing."""
    import base64
    import hashlib
    import hmac

    from vvs_core.testing import TEST_SECRET
    from vvs_core.web.links import signed

    agent_login(testapp, mairie)
    launch(testapp)
    person = person_of(dbsession, the_rollcall(dbsession), mairie.residents[0])
    digest = hmac.new(TEST_SECRET.encode(), b"vvs-rollcall-answer:" + str(person.id).encode(), hashlib.sha256).digest()
    old = f"/securite/r/{person.id}-{base64.urlsafe_b64encode(digest).decode().rstrip('=')[:22]}"
    assert answer_link(dbsession, mairie.residents[0]) != old
    for foreign in (signed(app.registry, "mairie-messages-stop", person.id), signed(app.registry, "followers-stop", person.id)):
        assert VVSTestApp(app).get(f"/securite/r/{foreign}", status=404)
    resident = VVSTestApp(app)
    page = resident.get(old)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert "en sécurité" in resident.post(old, {"csrf_token": token, "answer": "safe"}).text
    assert person_of(dbsession, the_rollcall(dbsession), mairie.residents[0]).answer == "safe"


def test_voice_keypad_answers(testapp, app, dbsession, mairie, agent_login):
    """The voice channel's keypad (the core's ``vvs_voice_keypad_answer``): 1 safe, 2 help,
    another key: the prompt again; a call of another kind is not ours. The call reads the
    question and says which key to press."""
    from vvs_core.hooktypes import KeypadAnswer
    from vvs_core.models import Notification

    agent_login(testapp, mairie)
    launch(testapp)
    rollcall = the_rollcall(dbsession)
    resident = mairie.residents[2]
    hook = app.registry.vvs_plugins.hook

    def press(digits, kind="rollcall"):
        answer = KeypadAnswer(notification_id=1, kind=kind, subject_type=kind, subject_id=rollcall.id,
                              recipient_id=resident.id, digits=digits, provider="dossier", provider_ref="c-1")
        return [s for s in hook.vvs_voice_keypad_answer(request=_request(app, dbsession), answer=answer) if s]

    assert any("appuyez sur 1" in s for s in press("9"))
    assert any("aide est transmise" in s for s in press("2"))
    assert person_of(dbsession, rollcall, resident).answered_via == "voice"
    assert press("1", kind="mairie_alert") == []
    call = Notification(kind="rollcall", channel="voice", title="t", body="La mairie de Serris vous demande : …",
                        subject_type="rollcall", subject_id=rollcall.id)
    rendered = hook.vvs_render_notification(request=_request(app, dbsession), notification=call, channel="voice")
    assert "appuyez sur 2" in rendered["prompt"] and rendered["text"].startswith("La mairie de Serris")


def test_vvs_rollcall_staff(app, dbsession, mairie, staff):
    """vvs_mairie answers for each duty with the agents of that role (CCAS: role « ccas »)."""
    hook = app.registry.vvs_plugins.hook.vvs_rollcall_staff
    request = _request(app, dbsession)

    def ids(duty):
        return {i for answer in hook(request=request, commune=mairie.commune, duty=duty) for i in answer}

    assert ids("mairie") == {mairie.agent_user.id, staff["ccas"].id, staff["police"].id}
    assert ids("ccas") == {staff["ccas"].id}
    assert ids("police") == {staff["police"].id}
    assert ids("maire") == set() and ids("inconnu") == set()
    mairie.mairie.subscribed = False
    dbsession.flush()
    assert ids("mairie") == set()


def test_registered_people_come_first(testapp, app, dbsession, mairie, agent_login, staff, clock):
    """With the register of vulnerable residents (vvs_vulnerable, hook ``vvs_vulnerable_tell_ccas``):
    at launch the CCAS gets the registered people at once (from the register, its reading
    logged); they head the live page; at the first wave those still silent go to the CCAS again."""
    from vvs_core.models import Notification

    clock.set_local(2026, 12, 6, 22, 0)
    fragile = mairie.residents[2]
    resident_app = VVSTestApp(app)
    resident_app.login(fragile)
    resident_app.post_csrf("/registre-vulnerables/inscription", {
        "origin": "self", "name": "Yvonne « Vovonne » Lenoir", "address": "8 rue du Moulin, Serris",
        "phone": "06 39 98 00 77", "situations": "age65", "needs": "Oxygène 🫁", "consent": "1"}, status=303)
    agent_login(testapp, mairie)
    launch(testapp)
    rollcall = the_rollcall(dbsession)
    assert [p.user_id for p in dbsession.scalars(select(RollCallPerson).where(RollCallPerson.priority))] == [fragile.id]

    def to_ccas():
        dbsession.expire_all()
        return list(dbsession.scalars(select(Notification).where(Notification.recipient_id == staff["ccas"].id,
                                                                 Notification.kind == "vulnerable_register")))

    at_once = to_ccas()  # the link of the register's list, never a name nor a need
    assert {n.channel for n in at_once} == {"email", "sms"}
    assert all("/registre-vulnerables/77449/a-joindre/" in n.body and "Vovonne" not in n.body
               and "Oxygène" not in n.body for n in at_once)
    assert "1 personne inscrite à joindre en priorité" in at_once[0].title
    assert "par " + mairie.agent_user.full_name in next(n for n in at_once if n.channel == "email").body
    state = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/etat.json").json
    assert state["people"][0]["name"] == fragile.full_name and state["people"][0]["priority"] is True
    assert "prioritaire" in testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}").text
    clock.advance(minutes=30)  # the first wave names the référent only…
    assert escalate_due(_request(app, dbsession)) == 1
    assert len(to_ccas()) == 2 * len(at_once)  # …and the register tells the CCAS again of the still silent
    live = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}").text
    assert "Registre : liste de 1 personne inscrite à joindre en priorité envoyée au CCAS (1 agent)." in live


VOICE_TOKEN = "jeton-des-appels-appel-securite-" + "v" * 32


def test_a_landline_only_resident_answers_aide_on_the_keypad(testapp, app, dbsession, mairie, agent_login, make_user,
                                                             make_community, clock, tmp_path, change):
    """Through the real voice channel: the roll-call calls at night too, the call reads the
    question and the prompt, key 2 (from the provider's callback) is AIDE."""
    from vvs_core.notify.actors import deliver_notifications
    from vvs_dev_providers.providers import FolderVoiceCaller

    clock.set_local(2026, 12, 6, 23, 30)  # night: only urgent calls go out
    grandmother = make_user(first_name="Yvette", last_name="Morel", mobile=None, landline="+33160000042",
                            email=None, address_label="4 ruelle du Moulin")
    make_community("Le Moulin", centre=(2.80, 48.86), members=[grandmother])
    caller = FolderVoiceCaller(str(tmp_path / "appels"))
    change(app.registry, providers={"voice": caller}, settings={"vvs.voice.folder.callback_token": VOICE_TOKEN,
                                                                "vvs.voice.folder.callback_rate": "600/60"})
    agent_login(testapp, mairie)
    launch(testapp)
    [call] = rows(dbsession, kind="rollcall", recipient_id=grandmother.id, channel="voice")
    assert call.severity == "severe" and "/securite/r/" not in call.body
    deliver_notifications([call.id], registry=app.registry)
    [script] = [p.read_text() for p in (tmp_path / "appels").glob("*.txt")]
    assert "vous demande : Êtes-vous en sécurité ?" in script and "appuyez sur 2" in script
    ref = rows(dbsession, id=call.id)[0].provider_ref
    said = testapp.post(f"/fournisseurs/folder/{VOICE_TOKEN}/appel", {"ref": ref, "etat": "touche", "touches": "2"})
    assert "transmise à la mairie" in said.text
    rollcall = the_rollcall(dbsession)
    person = person_of(dbsession, rollcall, grandmother)
    assert (person.answer, person.answered_via) == ("help", "voice")
    told = rows(dbsession, kind="rollcall_help", recipient_id=mairie.agent_user.id)
    assert told and "4 ruelle du Moulin" in told[0].body and "01 60 00 00 42" in told[0].body


def test_the_menu_asks_until_the_resident_answers(testapp, app, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    launch(testapp)
    assert "Appels de sécurité" in testapp.get("/").text  # the agent's entry
    resident = VVSTestApp(app)
    resident.login(mairie.residents[0])
    assert 'href="/securite/mes-appels"' in resident.get("/").text
    person = person_of(dbsession, the_rollcall(dbsession), mairie.residents[0])
    hostile = "<script>alert(1)</script> « aide » 🚑 " + "x" * 600
    answer = resident.post_csrf("/securite/mes-appels", {"person": str(person.id), "answer": "help", "note": hostile},
                                expect_errors=True)
    assert answer.status_int == 400 and "500 caractères" in answer.text  # too long: nothing recorded
    assert person_of(dbsession, the_rollcall(dbsession), mairie.residents[0]).answer is None
    resident.post_csrf("/securite/mes-appels", {"person": str(person.id), "answer": "help", "note": hostile[:200]},
                       status=303)
    assert 'href="/securite/mes-appels"' not in resident.get("/").text
    live = testapp.get(f"/securite/{INSEE}/appels/{the_rollcall(dbsession).id}").text
    assert "<script>alert(1)</script>" not in live and "&lt;script&gt;alert(1)&lt;/script&gt; « aide » 🚑" in live


def test_every_message_of_a_rollcall_reads_right(testapp, app, dbsession, mairie, agent_login, staff, sms_callbacks,
                                                 make_user, clock):
    """What a user walk-through read, with French names: the e-mail gives the number to answer by SMS
    (« 06 39 98 00 00 », from the resident's own mobile); AIDE from Hélène is « AIDE d'Hélène »; an answer
    noted by an agent reads « par un agent » (never « par noté par un agent »); the waves go « au référent
    de la communauté », « au CCAS »; after AIDE the page says « appelez le 112 » once."""
    from vvs_core.models import Membership

    clock.set_local(2026, 12, 6, 14, 0)
    helene = make_user(first_name="Hélène", last_name="Œuvray-N’Diaye", mobile="+33639980042",
                       address_label="2 quai de l’Écluse")
    aurelie = make_user(first_name="Aurélie", last_name="d’Estienne", mobile=None)
    for user in (helene, aurelie):
        dbsession.add(Membership(user_id=user.id, community_id=mairie.community.id, status="active", role="member"))
    dbsession.flush()
    with changed(app.registry, settings={"vvs.rollcall.sms_number": "+33639980000"}):
        agent_login(testapp, mairie)
        preview = launch(testapp, confirm="")
        assert "après 30 min au référent de la communauté ; après 60 min au CCAS ; après 120 min au maire et " \
               "aux élus, à la police municipale." in " ".join(preview.text.split())
        launch(testapp)
    rollcall = the_rollcall(dbsession)
    [email] = rows(dbsession, kind="rollcall", recipient_id=helene.id, channel="email")
    assert "ou par SMS au 06 39 98 00 00, depuis votre portable 06 39 98 00 42 : OUI si vous êtes en sécurité" \
        in email.body
    assert email.body.count("112") == 1
    [short] = rows(dbsession, kind="rollcall", recipient_id=helene.id, channel="sms")
    assert 'Crue de la Marne : "restez" à l\'étage inondation. Répondez OUI ou AIDE à ce SMS' in short.body
    [no_mobile] = rows(dbsession, kind="rollcall", recipient_id=aurelie.id, channel="email")
    assert "par SMS" not in no_mobile.body  # no mobile on the account: an SMS could not be matched to her

    link = answer_link(dbsession, helene)
    stranger = VVSTestApp(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', stranger.get(link).text).group(1)
    done = stranger.post(link, {"csrf_token": token, "answer": "help", "note": "Bloquée « chez moi »"})
    assert "transmise à la mairie" in done.text and done.text.count("appelez le 112") == 1
    resident = VVSTestApp(app)
    resident.login(mairie.residents[0])
    person = person_of(dbsession, rollcall, mairie.residents[0])
    mine = resident.post_csrf("/securite/mes-appels", {"person": str(person.id), "answer": "help"}).follow()
    assert mine.text.count("appelez le 112") == 1

    silent = person_of(dbsession, rollcall, mairie.residents[1])
    testapp.post_csrf(f"/securite/{INSEE}/appels/{rollcall.id}/personnes/{silent.id}", {"answer": "safe"}, status=303)
    clock.advance(minutes=61)
    escalate_due(_request(app, dbsession))
    texts = [entry.text for entry in dbsession.scalars(select(RollCallLog).order_by(RollCallLog.id))]
    assert "AIDE d'Hélène Œuvray-N’Diaye transmise à " in " ".join(texts)
    assert f"{mairie.residents[1].full_name} : en sécurité par un agent." in texts
    assert not any("par noté" in t or "AIDE de Hélène" in t for t in texts)
    assert any("Relance envoyée au CCAS : Camille Social." in t for t in texts), texts
    closed = stranger.post(link, {"csrf_token": token, "answer": "safe"})
    assert closed.text.count("112") == 1


def test_names_are_in_french_order(testapp, app, dbsession, mairie, agent_login, staff, make_user, clock):
    """« Élodie » comes before « Zoé » on the live list, in the CCAS' wave and in the CSV (it came after « Z »)."""
    from vvs_core.models import Membership

    clock.set_local(2026, 12, 6, 9, 0)
    people = [make_user(first_name=first, last_name=last, address_label="3 rue Test") for first, last in
              [("Zoé", "Zola"), ("Élodie", "Écuyer"), ("Yann", "Yvon")]]
    for user in people:
        dbsession.add(Membership(user_id=user.id, community_id=mairie.community.id, status="active", role="member"))
    dbsession.flush()
    agent_login(testapp, mairie)
    launch(testapp)
    rollcall = the_rollcall(dbsession)
    names = [p["name"] for p in testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/etat.json").json["people"]]
    ours = [n for n in names if n in {u.full_name for u in people}]
    assert ours == ["Élodie Écuyer", "Yann Yvon", "Zoé Zola"]
    clock.advance(minutes=61)
    escalate_due(_request(app, dbsession))
    [wave] = rows(dbsession, kind="rollcall_escalation", channel="email", recipient_id=staff["ccas"].id)
    assert wave.body.index("Élodie Écuyer") < wave.body.index("Yann Yvon") < wave.body.index("Zoé Zola")
    testapp.post_csrf(f"/securite/{INSEE}/appels/{rollcall.id}/cloturer")
    csv = testapp.get(f"/securite/{INSEE}/appels/{rollcall.id}/bilan.csv").text
    assert csv.index("Élodie Écuyer") < csv.index("Yann Yvon") < csv.index("Zoé Zola")
