"""Exercises: an alert marked « EXERCICE » everywhere it goes, left out of the monthly
report, with its own report afterwards (reach by channel, time to deliver, who was not
reached)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from vvs_core.clock import utcnow
from vvs_core.models.notification import Notification
from vvs_core.web.timefmt import dates
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401


def _send(testapp, mairie, exercise: bool):
    form = {"category": "evenement", "title": "Évacuation de l’école des Charmettes 🚒",
            "body": "Rassemblement « place du marché » à 10 h.", "target": "commune", "confirm": "1"}
    if exercise:
        form["exercise"] = "1"
    return testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303)


def test_an_exercise_says_so_first_on_every_channel_and_page(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    response = _send(testapp, mairie, exercise=True)
    alert = dbsession.scalars(select(MairieAlert)).one()
    assert alert.exercise
    rows = list(dbsession.scalars(select(Notification).where(Notification.subject_id == alert.id,
                                                             Notification.subject_type == "mairie_alert")))
    assert {r.channel for r in rows} == {"sms", "email"}
    for row in rows:
        assert row.title.startswith("EXERCICE · Mairie de Serris")
        assert row.body.startswith("EXERCICE")
    page = testapp.get(response.location)
    assert "EXERCICE · " in page.text and "Bilan de l'exercice" in page.text
    dashboard = testapp.get("/mairie/77449")
    assert "EXERCICE · Événement exceptionnel" in dashboard.text
    # Its all-clear is an exercise too (sent after the exercise went out: an end cancels what is unsent).
    from vvs_core.testing import run_tasks

    run_tasks()
    testapp.post_csrf(response.location, {"kind": "all_clear", "body": "Fin de l’exercice, merci."}, status=303)
    end = dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id)).one()
    assert end.exercise
    sms = dbsession.scalars(select(Notification.body).where(Notification.subject_id == end.id,
                                                            Notification.channel == "sms")).first()
    assert sms.startswith("EXERCICE - Mairie de Serris - Fin d'alerte")


def test_a_real_alert_is_not_marked(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    response = _send(testapp, mairie, exercise=False)
    bodies = dbsession.scalars(select(Notification.title).where(Notification.subject_type == "mairie_alert")).all()
    assert bodies and not any("EXERCICE" in b for b in bodies)
    assert "Bilan de l'exercice" not in testapp.get(response.location).text


def test_the_exercise_report_and_the_monthly_report(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    _send(testapp, mairie, exercise=False)
    exercise_page = _send(testapp, mairie, exercise=True).location
    exercise = dbsession.scalars(select(MairieAlert).where(MairieAlert.exercise.is_(True))).one()
    rows = list(dbsession.scalars(select(Notification).where(Notification.subject_id == exercise.id,
                                                             Notification.subject_type == "mairie_alert")
                                  .order_by(Notification.id)))
    unreached = mairie.residents[0].id
    for row in rows:  # what the outbox would have recorded: delivered after 42 s, or failed
        dbsession.execute(update(Notification).where(Notification.id == row.id).values(
            status="failed" if row.recipient_id == unreached else "sent",
            sent_at=None if row.recipient_id == unreached else exercise.created_at + timedelta(seconds=42)))
    dbsession.flush()
    page = testapp.get(exercise_page).text
    assert "2 personnes jointes sur 3" in page
    assert "42 s" in page
    assert mairie.residents[0].full_name in page and "n'a pas jointes" in page
    month = dates.month_key(utcnow())
    report = testapp.get(f"/mairie/77449/rapport/{month}").text
    assert "Évacuation de l’école des Charmettes" in report
    assert report.count("Évacuation de l’école des Charmettes") == 1   # the real one only


def test_the_cap_message_of_an_exercise_and_of_a_relayed_warning(testapp, dbsession, mairie, agent_login):
    from pathlib import Path

    from lxml import etree

    from vvs_core.notify.cap import CAP_NS

    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "vvs_alerts" / "CAP-v1.2.xsd")))
    ns = {"cap": CAP_NS}
    agent_login(testapp, mairie)
    exercise_page = _send(testapp, mairie, exercise=True).location
    cap = etree.fromstring(testapp.get(exercise_page + ".cap.xml").body)
    schema.assertValid(cap)
    assert cap.findtext("cap:status", namespaces=ns) == "Exercise"
    assert cap.findtext("cap:msgType", namespaces=ns) == "Alert"
    assert cap.findtext("cap:info/cap:headline", namespaces=ns).startswith("EXERCICE · ")
    assert cap.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=ns) == "77449"

    relayed = dbsession.get(MairieAlert, int(exercise_page.rsplit("/", 1)[1]))
    relayed.source, relayed.exercise = "Vigicrues", False
    dbsession.flush()
    testapp.post_csrf(exercise_page, {"kind": "all_clear", "body": "Décrue amorcée."}, status=303)
    cap = etree.fromstring(testapp.get(exercise_page + ".cap.xml").body)
    schema.assertValid(cap)
    assert (cap.findtext("cap:status", namespaces=ns), cap.findtext("cap:msgType", namespaces=ns)) == ("Actual", "Update")
    assert cap.findtext("cap:source", namespaces=ns) == "Vigicrues"
    assert cap.findtext("cap:info/cap:responseType", namespaces=ns) == "AllClear"
    assert "Source : Vigicrues." in cap.findtext("cap:info/cap:description", namespaces=ns)
