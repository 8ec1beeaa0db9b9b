"""The crisis mode of the Plan communal de sauvegarde on the real parts (PostGIS or
SQLite, the outbox's rows, the mairie's commune alerts through the hooks): activation,
two messages, end of crisis, and a main courante PDF with each step's time and author."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from vvs_core.models.notification import Notification
from vvs_mairie.models import MairieAlert
from vvs_pcs.models import PcsCellMember, PcsCrisis, PcsLogEntry, PcsTemplate

from vvs_core.testing import pdf_text

BASE = "/pcs/77449"


def fresh(dbsession):
    dbsession.flush()
    dbsession.expire_all()


def rows(dbsession, **where):
    stmt = select(Notification)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(dbsession.scalars(stmt.order_by(Notification.id)))


def delivered(dbsession):
    """What the outbox would have done by now: the commune alerts' messages sent (an end
    cancels what is still unsent, vvs_mairie.commune_alerts.cancel_unsent)."""
    from sqlalchemy import update

    dbsession.execute(update(Notification).where(Notification.subject_type == "mairie_alert",
                                                 Notification.status == "pending").values(status="sent"))
    dbsession.flush()


def activate(testapp, title="Crue de la Marne", exercise=False):
    form = {"title": title, **({"exercise": "1"} if exercise else {})}
    return testapp.post_csrf(BASE + "/activer", form, status=303)


def send(testapp, crisis_id, template_id):
    """Ask to send a prepared message, read the confirmation, confirm: (confirmation page, answer)."""
    url = f"{BASE}/crises/{crisis_id}/message"
    page = testapp.post_csrf(url, {"template_id": str(template_id)}, status=200)
    sent_before = re.search(r'name="sent_before" value="(\d+)"', page.text).group(1)
    form = {"template_id": str(template_id), "confirm": "1", "sent_before": sent_before}
    return page, testapp.post_csrf(url, form, status=303), form


def end(testapp, crisis_id, body):
    """Ask to end the crisis, read the confirmation, confirm: (confirmation page, answer)."""
    url = f"{BASE}/crises/{crisis_id}/fin"
    page = testapp.post_csrf(url, {"end": body}, status=200)
    return page, testapp.post_csrf(url, {"end": body, "confirm": "1"}, status=303)


def test_activation_two_messages_end_and_the_log_pdf(testapp, dbsession, mairie, plan, agent_login, clock):
    clock.set_local(2026, 7, 14, 23, 30, 5)
    agent_login(testapp, mairie)
    page = testapp.get(BASE)
    assert "Activer le PCS" in page.text and "Élise Moreau-Dupré" in page.text
    location = activate(testapp).location
    crisis = dbsession.scalar(select(PcsCrisis))
    assert location.endswith(f"{BASE}/crises/{crisis.id}")

    # The cell: SMS and e-mail to the maire, e-mail to the DGS (no phone), with the link to the main courante.
    cell = rows(dbsession, kind="pcs_cell")
    assert sorted((r.channel, r.address) for r in cell) == [
        ("email", "dgs@serris.test"), ("email", "maire@serris.test"), ("sms", "+33639980101")]
    assert all("Crue de la Marne" in r.body and "Agnès Marchand" in r.body for r in cell)
    assert f"/pcs/77449/crises/{crisis.id}" in cell[0].body
    [text] = [r.body for r in cell if r.channel == "sms"]  # a full stop before the crisis' title
    assert text.startswith("PCS de Serris : cellule de crise activée. Crue de la Marne. Activé par Agnès Marchand.")

    first, second = plan["templates"]
    clock.advance(minutes=4)
    send(testapp, crisis.id, first.id)
    clock.advance(minutes=11)
    send(testapp, crisis.id, second.id)
    fresh(dbsession)
    alerts = list(dbsession.scalars(select(MairieAlert).order_by(MairieAlert.id)))
    assert [a.title for a in alerts] == [first.title, second.title]
    assert all(a.target == "commune" and not a.exercise for a in alerts)
    reached = {(r.recipient_id, r.channel) for r in rows(dbsession, subject_type="mairie_alert")}
    assert {uid for uid, _c in reached} >= {u.id for u in mairie.residents}

    clock.advance(minutes=2)
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/note", {"note": "Gymnase ouvert, 40 lits — « tout va bien » 👍"},
                      status=303)
    clock.advance(hours=2)
    delivered(dbsession)
    end(testapp, crisis.id, "La décrue est là : vous pouvez rentrer chez vous.")
    fresh(dbsession)
    crisis = dbsession.get(PcsCrisis, crisis.id)
    assert crisis.ended_at is not None and crisis.log_pdf.startswith(b"%PDF")

    # The end reaches every person and channel the two messages reached, once each, and the cell again.
    ends = [a for a in dbsession.scalars(select(MairieAlert).where(MairieAlert.kind == "all_clear"))]
    assert len(ends) == 2
    end_rows = [r for r in rows(dbsession, subject_type="mairie_alert") if r.subject_id in {e.id for e in ends}]
    assert sorted((r.recipient_id, r.channel) for r in end_rows) == sorted(reached)
    assert all("décrue" in r.body for r in end_rows)
    assert len(rows(dbsession, kind="pcs_cell")) == 6

    kinds = [e.kind for e in dbsession.scalars(select(PcsLogEntry).order_by(PcsLogEntry.at, PcsLogEntry.id))]
    assert kinds == ["activation", "cell", "message", "message", "note", "end"]
    text = pdf_text(testapp.get(f"{BASE}/crises/{crisis.id}/main-courante.pdf").body)
    for line in ("14/07/2026 23:30:05", "14/07/2026 23:34:05", "14/07/2026 23:45:05", "14/07/2026 23:47:05",
                 "15/07/2026 01:47:05", "Agnès Marchand", "Crue de la Marne", "Crue : évacuation des bords de Marne",
                 "Restez chez vous", "Gymnase ouvert, 40 lits — « tout va bien »", "Fin de crise", "décrue"):
        assert line in text, line
    assert "?" not in text.replace("Encore ?", "") and "  " not in text  # the emoji said in words
    assert "Close le 15/07/2026 01:47:05" in text
    # Closed: nothing more is written.
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/note", {"note": "Après coup"}, status=400)
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/message", {"template_id": str(first.id)}, status=400)
    again = testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": "Encore ?"}, status=303)
    assert again.follow().text.count("Cette crise a déjà été close.") == 1
    assert dbsession.scalar(select(func.count(PcsLogEntry.id))) == 6


def test_an_exercise_is_marked_exercice_everywhere(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    activate(testapp, "Exercice inondation", exercise=True)
    crisis = dbsession.scalar(select(PcsCrisis))
    send(testapp, crisis.id, plan["templates"][0].id)
    fresh(dbsession)
    assert all(r.title.startswith("EXERCICE") and r.body.startswith("EXERCICE")
               for r in rows(dbsession, kind="pcs_cell"))
    alert = dbsession.scalar(select(MairieAlert))
    assert alert.exercise
    sms = [r for r in rows(dbsession, subject_type="mairie_alert") if r.channel == "sms"]
    assert sms and all(r.body.startswith("EXERCICE") for r in sms)
    page = testapp.get(f"{BASE}/crises/{crisis.id}")
    assert "EXERCICE" in page.text and "Exercice du PCS" in page.text
    assert "EXERCICE" in pdf_text(testapp.get(f"{BASE}/crises/{crisis.id}/main-courante.pdf").body)


def test_a_second_activation_is_refused_and_one_crisis_stays_open(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    activate(testapp)
    second = activate(testapp, "Autre chose").follow()
    assert "Le PCS est déjà activé" in second.text
    assert dbsession.scalar(select(func.count(PcsCrisis.id))) == 1
    # Whatever the page did, the database keeps one open crisis per commune.
    with pytest.raises(IntegrityError):
        with dbsession.begin_nested():
            dbsession.add(PcsCrisis(commune_id=mairie.commune.id, title="doublon", alert_ids=[]))
            dbsession.flush()


@pytest.mark.parametrize("form, field, message", [
    ({"title": ""}, "title", "Indiquez la nature de la crise"),
    ({"title": "   "}, "title", "Indiquez la nature de la crise"),
    ({"title": "x" * 141}, "title", "140 caractères"),
    # A forged box value is not taken for "no": that would start a real crisis.
    ({"title": "Crue de la Marne", "exercise": "oui"}, "exercise", "La case « Exercice » n'a pas été comprise"),
    ({"title": "Crue de la Marne", "exercise": "0"}, "exercise", "La case « Exercice » n'a pas été comprise"),
])
def test_activation_refuses_bad_input(testapp, dbsession, mairie, agent_login, form, field, message):
    agent_login(testapp, mairie)
    page = testapp.post_csrf(BASE + "/activer", form, status=400)
    assert message in page.text and 'aria-invalid="true"' in page.text
    assert dbsession.scalar(select(func.count(PcsCrisis.id))) == 0


def test_hostile_text_is_shown_as_text(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    activate(testapp, "<script>alert(1)</script> & « crue »")
    crisis = dbsession.scalar(select(PcsCrisis))
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/note", {"note": "<b>gras</b>\x00 ' \" ; DROP TABLE"}, status=303)
    page = testapp.get(f"{BASE}/crises/{crisis.id}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "&lt;b&gt;gras&lt;/b&gt;" in page.text
    pdf = testapp.get(f"{BASE}/crises/{crisis.id}/main-courante.pdf").body
    text = pdf_text(pdf)  # drawn as text, not read as markup (reportlab's paragraphs parse tags)
    assert "alert(1)" in text and "« crue »" in text and "&lt;" not in text and "&amp;" not in text


def test_bad_ids_and_other_communes_rows(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    for path in (f"{BASE}/crises/999999", f"{BASE}/crises/99999999999999999999", "/pcs/ABCDE", "/pcs/7744"):
        testapp.get(path, status=404)
    activate(testapp)
    crisis = dbsession.scalar(select(PcsCrisis))
    for value in ("", "abc", "99999999", "-1", "1e3"):
        page = testapp.post_csrf(f"{BASE}/crises/{crisis.id}/message", {"template_id": value}, status=400)
        assert "Choisissez un des messages préparés." in page.text
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": ""}, status=400)
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": "x" * 2001}, status=400)
    testapp.post_csrf(f"{BASE}/crises/{crisis.id}/note", {"note": ""}, status=400)
    testapp.post_csrf(f"{BASE}/cellule/999999/retirer", {}, status=404)
    testapp.post_csrf(f"{BASE}/messages/999999/retirer", {}, status=404)
    fresh(dbsession)
    assert dbsession.get(PcsCrisis, crisis.id).ended_at is None and rows(dbsession, subject_type="mairie_alert") == []


def test_the_cell_is_composed_with_checked_phones_and_emails(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    url = BASE + "/cellule"
    bad = [({"name": "", "phone": "0639980101"}, "Indiquez le nom"),
           ({"name": "Zoé", "phone": "12"}, "Numéro de téléphone invalide"),
           ({"name": "Zoé", "phone": "0" * 200}, "Numéro de téléphone invalide"),
           ({"name": "Zoé", "email": "pas-une-adresse"}, "Adresse e-mail invalide"),
           ({"name": "Zoé", "email": "zoe@mairie"}, "Adresse e-mail incomplète : il manque la fin"),
           ({"name": "Zoé", "email": "Zoé.N’Diaye@mairie.fr"}, "ni accent ni espace"),
           ({"name": "Zoé"}, "au moins un téléphone ou une adresse e-mail"),
           ({"name": "Z" * 121, "phone": "0639980101"}, "120 caractères")]
    for form, message in bad:
        page = testapp.post_csrf(url, form, status=400)
        assert message in page.text, form
    assert dbsession.scalar(select(func.count(PcsCellMember.id))) == 0
    testapp.post_csrf(url, {"name": "Zoé N’Diaye 🚒", "function": "Adjointe « sécurité »", "phone": "06 39 98 01 07",
                            "email": ""}, status=303)
    member = dbsession.scalar(select(PcsCellMember))
    assert member.phone == "+33639980107" and member.name == "Zoé N’Diaye 🚒"
    assert "06 39 98 01 07" in testapp.get(url).text
    testapp.post_csrf(f"{url}/{member.id}/retirer", {}, status=303)
    assert dbsession.scalar(select(func.count(PcsCellMember.id))) == 0


def test_messages_are_prepared_and_removed(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    url = BASE + "/messages"
    assert "Écrivez le message" in testapp.post_csrf(url, {"title": "Titre", "body": ""}, status=400).text
    assert "140 caractères" in testapp.post_csrf(url, {"title": "t" * 141, "body": "b"}, status=400).text
    assert "2000 caractères" in testapp.post_csrf(url, {"title": "t", "body": "b" * 2001}, status=400).text
    testapp.post_csrf(url, {"title": "Coupure d’eau", "body": "Ne buvez pas l’eau du robinet."}, status=303)
    template = dbsession.scalar(select(PcsTemplate))
    assert template.title == "Coupure d’eau"
    testapp.post_csrf(f"{url}/{template.id}/retirer", {}, status=303)
    assert dbsession.scalar(select(func.count(PcsTemplate.id))) == 0


def test_without_commune_alerts_the_message_is_refused_and_logged(app_request, dbsession, mairie, plan):
    """A mairie whose subscription lapsed answers no commune alert (its agents lose the pages too)."""
    from vvs_pcs import crisis as service

    app_request.user = mairie.agent_user
    crisis = service.activate(app_request, mairie.commune, mairie.agent_user, "Crue", False)
    mairie.mairie.subscribed = False
    dbsession.flush()
    with pytest.raises(service.CrisisRefused, match="abonnement inactif"):
        service.send_message(app_request, mairie.commune, crisis, mairie.agent_user, plan["templates"][0])
    assert crisis.alert_ids == []
    assert "n'a pas pu être envoyé" in service.log_of(dbsession, crisis.id)[-1].text


def test_the_dashboard_shows_the_plan(testapp, dbsession, mairie, plan, agent_login):
    agent_login(testapp, mairie)
    board = testapp.get("/mairie/77449")
    assert "Plan communal de sauvegarde" in board.text and "Activer le PCS" in board.text
    activate(testapp, "Tempête « Ciarán »")
    board = testapp.get("/mairie/77449")
    assert "Crise en cours" in board.text and "Tempête « Ciarán »" in board.text


# --- The hooks vvs_pcs declares, answered by vvs_mairie ------------------------------------

def test_vvs_pcs_population_message(app_request, dbsession, mairie):
    hook = app_request.registry.vvs_plugins.hook
    answer = hook.vvs_pcs_population_message(request=app_request, commune=mairie.commune, author=mairie.agent_user,
                                             message={"title": "Restez chez vous", "body": "Fenêtres fermées.",
                                                      "exercise": True})
    alert = dbsession.get(MairieAlert, answer["id"])
    assert alert.exercise and alert.target == "commune" and alert.author_id == mairie.agent_user.id
    assert answer["url"] == f"/mairie/77449/alertes/{alert.id}" and "foyer" in answer["reach"]
    mairie.mairie.subscribed = False
    assert hook.vvs_pcs_population_message(request=app_request, commune=mairie.commune, author=mairie.agent_user,
                                           message={"title": "t", "body": "", "exercise": False}) is None


def test_vvs_pcs_population_end(app_request, dbsession, mairie):
    hook = app_request.registry.vvs_plugins.hook
    ids = [hook.vvs_pcs_population_message(request=app_request, commune=mairie.commune, author=mairie.agent_user,
                                           message={"title": t, "body": "", "exercise": False})["id"]
           for t in ("Premier", "Second")]
    delivered(dbsession)
    answer = hook.vvs_pcs_population_end(request=app_request, commune=mairie.commune, alert_ids=ids + [ids[0]],
                                         body="Fin de crise.", author=mairie.agent_user)
    assert answer["people"] == len(mairie.residents) + 1 - 1 or answer["people"] >= len(mairie.residents)
    ends = list(dbsession.scalars(select(MairieAlert).where(MairieAlert.kind == "all_clear")))
    end_rows = [r for r in rows(dbsession, subject_type="mairie_alert") if r.subject_id in {e.id for e in ends}]
    pairs = [(r.recipient_id, r.channel) for r in end_rows]
    assert len(pairs) == len(set(pairs)) and len({uid for uid, _ in pairs}) == answer["people"]
    assert hook.vvs_pcs_population_end(request=app_request, commune=mairie.commune, alert_ids=[999999],
                                       body="?", author=None) is None


def test_two_agents_work_the_same_crisis(app, testapp, dbsession, make_user, mairie, plan, agent_login):
    """Agnès activates; Bruno, signed in on his own phone, sends a message and ends the
    crisis: each line names who did it, and Agnès' second « fin de crise » changes nothing."""
    import pyotp

    from vvs_core.testing import TEST_SECRET, VVSTestApp
    from vvs_mairie.testing import enrol_agent

    bruno = make_user(first_name="Bruno", last_name="Lefèvre-N’Guessan")
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, bruno, mairie.commune, role="elu")
    other = VVSTestApp(app)
    other.login(bruno)
    other.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    agent_login(testapp, mairie)
    activate(testapp)
    crisis = dbsession.scalar(select(PcsCrisis))
    assert "Crue de la Marne" in other.get(f"{BASE}/crises/{crisis.id}").text
    send(other, crisis.id, plan["templates"][1].id)
    end(other, crisis.id, "C’est fini.")
    late = testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": "Fin (Agnès)"}, status=303).follow()
    assert "Cette crise a déjà été close." in late.text
    authors = [(e.kind, e.author_name) for e in dbsession.scalars(select(PcsLogEntry).order_by(PcsLogEntry.id))]
    assert authors == [("activation", "Agnès Marchand"), ("cell", "le système"),
                       ("message", "Bruno Lefèvre-N’Guessan"), ("end", "Bruno Lefèvre-N’Guessan")]


def test_the_cell_is_called_when_the_site_can_call(testapp, dbsession, mairie, plan, agent_login, voice):
    agent_login(testapp, mairie)
    activate(testapp)
    calls = rows(dbsession, kind="pcs_cell", channel="voice")
    assert [(r.address, r.severity) for r in calls] == [("+33639980101", "severe")]  # a real crisis calls at night
    log = [e.text for e in dbsession.scalars(select(PcsLogEntry).where(PcsLogEntry.kind == "cell"))]
    assert log == ["Cellule de crise prévenue : 2 membres, 4 messages (SMS, appel, e-mail)"]
    assert "La cellule de crise est activée." in calls[0].body and "Crue de la Marne" in calls[0].body
    assert "http" not in calls[0].body  # a link is not read aloud
    crisis = dbsession.scalar(select(PcsCrisis))
    end(testapp, crisis.id, "Fin.")
    assert len(rows(dbsession, kind="pcs_cell", channel="voice")) == 1  # the end is written, not called


def test_an_exercise_call_is_not_urgent(testapp, dbsession, mairie, plan, agent_login, voice):
    agent_login(testapp, mairie)
    activate(testapp, "Exercice", exercise=True)
    [call] = rows(dbsession, kind="pcs_cell", channel="voice")
    assert call.severity in ("", None) and call.body.startswith("Exercice.")


def test_activation_sends_the_register_to_the_ccas_at_once(testapp, dbsession, mairie, plan, agent_login, clock,
                                                           make_user):
    """Registered people first: with the register of vulnerable residents on, activating the
    PCS sends the commune's CCAS the link of the whole register's list (a hook of vvs_vulnerable),
    and the main courante says so, in Paris time."""
    from vvs_core.testing import TEST_SECRET
    from vvs_mairie.testing import enrol_agent
    from vvs_vulnerable.models import VulnerableReading

    clock.set_local(2026, 8, 2, 6, 45)
    ccas = make_user(first_name="Anaïs", last_name="Lefèvre", mobile="+33611110002")
    enrol_agent(dbsession, TEST_SECRET, ccas, mairie.commune, role="ccas", channels=("email", "sms"))
    testapp.login(mairie.residents[2])
    testapp.post_csrf("/registre-vulnerables/inscription", {
        "origin": "self", "name": "Hélène « Lili » Œuvray", "address": "2 quai de la Marne, Serris",
        "phone": "06 39 98 00 78", "situations": "age65", "needs": "Chien Filou 🐕", "consent": "1"}, status=303)
    testapp.reset()
    agent_login(testapp, mairie)
    activate(testapp, title="Canicule : niveau 3 « alerte »")
    crisis = dbsession.scalar(select(PcsCrisis))
    told = rows(dbsession, kind="vulnerable_register", recipient_id=ccas.id)
    assert {r.channel for r in told} == {"email", "sms"}
    assert all("/registre-vulnerables/77449/a-joindre/" in r.body and "Œuvray" not in r.body for r in told)
    email = next(r for r in told if r.channel == "email")
    assert email.body.startswith("PCS de Serris activé le 02/08/2026 à 06:45")
    assert "Canicule : niveau 3 « alerte »" in email.body
    line = dbsession.scalar(select(PcsLogEntry).where(PcsLogEntry.crisis_id == crisis.id, PcsLogEntry.kind == "register"))
    assert line.kind_label == "Registre des personnes vulnérables"
    assert line.text == "Liste de 1 personne inscrite à joindre en priorité envoyée au CCAS (1 agent)"
    assert dbsession.scalar(select(VulnerableReading.action).order_by(VulnerableReading.id.desc()).limit(1)) \
        == "liste prioritaire envoyée au CCAS"


def test_nothing_leaves_before_the_confirmation_and_only_once(testapp, dbsession, mairie, plan, agent_login):
    """A user walk-through sent « fin de crise » and the prepared messages on one click. Now the first
    click shows exactly what will leave and to whom (counts per channel), nothing is sent until the agent
    confirms, and a second click or a replayed confirmation sends nothing twice."""
    agent_login(testapp, mairie)
    activate(testapp)
    crisis = dbsession.scalar(select(PcsCrisis))
    template = plan["templates"][1]
    url = f"{BASE}/crises/{crisis.id}/message"
    page = testapp.post_csrf(url, {"template_id": str(template.id)}, status=200)
    fresh(dbsession)
    assert rows(dbsession, subject_type="mairie_alert") == [] and dbsession.get(PcsCrisis, crisis.id).alert_ids == []
    text = " ".join(page.text.split())
    assert "Envoyer « Restez chez vous » ?" in text and "n’allez pas chercher les enfants à l’école. 🏠" in text
    people = len(mairie.residents)
    assert f"Toute la commune</strong> : {people} personnes (" in text and " SMS" in text, text
    assert "Mairie de Serris - Restez chez vous : Fermez portes et fenetres" in text  # the SMS as it will leave (GSM-7)
    _page, answer, form = send(testapp, crisis.id, template.id)
    fresh(dbsession)
    sent = len(rows(dbsession, subject_type="mairie_alert"))
    assert sent >= people and len(dbsession.get(PcsCrisis, crisis.id).alert_ids) == 1
    # The same confirmation again (a double click, the browser's « resend »): nothing more leaves.
    replay = testapp.post_csrf(url, form, status=303).follow()
    assert "rien n'a été envoyé de nouveau" in replay.text
    fresh(dbsession)
    assert len(rows(dbsession, subject_type="mairie_alert")) == sent
    assert dbsession.scalar(select(func.count(MairieAlert.id))) == 1
    assert [e.kind for e in service_log(dbsession, crisis.id)].count("message") == 1

    delivered(dbsession)
    cell_before = len(rows(dbsession, kind="pcs_cell"))
    page = testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": "Fin : « tout va bien » ✅"}, status=200)
    fresh(dbsession)
    assert dbsession.get(PcsCrisis, crisis.id).ended_at is None and len(rows(dbsession, kind="pcs_cell")) == cell_before
    text = " ".join(page.text.split())
    assert "Cellule de crise</strong> : 2 membres (1 SMS, 2 e-mails)" in text
    assert f"Les personnes prévenues pendant la crise</strong> : {people} personnes (" in text
    assert "PCS de Serris : fin de crise. Fin : \"tout va bien\"" in text  # the cell's SMS, GSM-7
    assert "Mairie de Serris - Fin d'alerte : Restez chez vous : Fin :" in text
    _page, closed = end(testapp, crisis.id, "Fin : « tout va bien » ✅")
    fresh(dbsession)
    told = len(rows(dbsession, kind="pcs_cell"))
    assert told == cell_before + 3 and dbsession.get(PcsCrisis, crisis.id).ended_at is not None
    again = testapp.post_csrf(f"{BASE}/crises/{crisis.id}/fin", {"end": "Fin", "confirm": "1"}, status=303).follow()
    assert "Cette crise a déjà été close." in again.text
    fresh(dbsession)
    assert len(rows(dbsession, kind="pcs_cell")) == told


def service_log(dbsession, crisis_id):
    from vvs_pcs import crisis as service

    return service.log_of(dbsession, crisis_id)


def test_vvs_pcs_population_reach(app_request, dbsession, mairie):
    hook = app_request.registry.vvs_plugins.hook
    message = {"title": "Restez chez vous", "body": "Fenêtres fermées.", "exercise": False}
    before = hook.vvs_pcs_population_reach(request=app_request, commune=mairie.commune, message=message,
                                           alert_ids=None)
    assert before["people"] == len(mairie.residents) and before["channels"]["sms"] >= 1
    assert before["sms"].startswith("Mairie de Serris - Restez chez vous : Fen")
    assert dbsession.scalar(select(func.count(MairieAlert.id))) == 0  # sends nothing
    ids = [hook.vvs_pcs_population_message(request=app_request, commune=mairie.commune, author=mairie.agent_user,
                                           message={**message, "title": t})["id"] for t in ("Premier", "Second")]
    delivered(dbsession)
    reach = hook.vvs_pcs_population_reach(request=app_request, commune=mairie.commune,
                                          message={"title": "", "body": "Fin.", "exercise": False}, alert_ids=ids)
    answer = hook.vvs_pcs_population_end(request=app_request, commune=mairie.commune, alert_ids=ids, body="Fin.",
                                         author=mairie.agent_user)
    assert reach["people"] == answer["people"]  # what the confirmation said is what left
    ends = list(dbsession.scalars(select(MairieAlert).where(MairieAlert.kind == "all_clear")))
    end_rows = [r for r in rows(dbsession, subject_type="mairie_alert") if r.subject_id in {e.id for e in ends}]
    assert sum(reach["channels"].values()) == len(end_rows)
    assert reach["sms"].startswith("Mairie de Serris - Fin d'alerte : Premier")
    mairie.mairie.subscribed = False
    assert hook.vvs_pcs_population_reach(request=app_request, commune=mairie.commune, message=message,
                                         alert_ids=None) is None
