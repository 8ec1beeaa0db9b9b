"""Ending a mairie alert cancels what it has not sent yet (walkstaff item 6): at 06:22 a
« Coupure d’eau » (travaux) holds its landline call until 8 h; its « Fin d'alerte » at
06:25 cancels that call, the page says so (not « prévu à 8 h 00 »), and nobody is called
at 8 h about a water cut already over, nor about its end."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from vvs_core.models.notification import Notification
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401


def _main_text(page) -> str:
    return " ".join(page.html.find("main").get_text().split())


def test_the_end_of_an_alert_cancels_its_call_held_for_the_morning(app, testapp, dbsession, mairie, agent_login,
                                                                  clock, tmp_path):
    from vvs_core.notify.actors import sweep_notifications
    from app_changes import changed
    from vvs_core.testing import run_tasks
    from vvs_dev_providers.providers import FolderVoiceCaller

    clock.set_local(2026, 12, 7, 6, 22)  # Paris time, before the calls' morning
    mairie.residents[0].landline, mairie.residents[0].mobile = "+33160000077", None
    dbsession.flush()
    agent_login(testapp, mairie)
    calls = tmp_path / "appels"
    with changed(app.registry, providers={"voice": FolderVoiceCaller(str(calls), speak=False)}):
        form = {"category": "travaux", "title": "Coupure d’eau rue Émile Cloud 💧",
                "body": "Réparation « urgente » de la canalisation ; citerne place de l’Église.",
                "target": "commune", "confirm": "1"}
        url = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
        run_tasks()
        assert "appels : 1 prévu à 8 h 00" in _main_text(testapp.get(url))

        clock.set_local(2026, 12, 7, 6, 25)
        ended = testapp.post_csrf(url, {"kind": "all_clear", "body": "L’eau est rétablie ✅ — merci de votre patience."},
                                  status=303).follow()
        text = _main_text(ended)
        assert "Fin d'alerte envoyée. Pas encore parti, donc annulé : 1 appel." in text, text
        assert "prévu à 8 h" not in text and "appels : 1 annulé" in text, text
        assert "Alerte terminée" in text
        run_tasks()

        alert, end = dbsession.scalars(select(MairieAlert).order_by(MairieAlert.id)).all()
        rows = {(r.subject_id, r.recipient_id, r.channel): r for r in dbsession.scalars(
            select(Notification).where(Notification.subject_type == "mairie_alert"))}
        call = rows[(alert.id, mairie.residents[0].id, "voice")]
        assert call.status == "cancelled" and "terminée avant l'envoi" in call.last_error
        # The household never heard of the cut: its end is not phoned to it either.
        assert (end.id, mairie.residents[0].id, "voice") not in rows
        # The others, told of the cut by SMS or e-mail, are told of its end the same way.
        told = {(uid, channel) for (subject, uid, channel), r in rows.items() if subject == alert.id and r.status == "sent"}
        assert told and told == {(uid, channel) for (subject, uid, channel) in rows if subject == end.id}
        assert "L’eau est rétablie ✅" in rows[(end.id, *sorted(told)[0])].body

        # 8 h 05: the sweeper finds nothing to call.
        clock.set_local(2026, 12, 7, 8, 5)
        sweep_notifications(app.registry)
        run_tasks()
        assert not calls.exists() or not list(Path(calls).iterdir())
        assert "appels : 1 annulé" in _main_text(testapp.get(url))


NUMERIC = ("nombre", "destinataires", "SMS envoyés", "e-mails envoyés", "notifications envoyées", "appels passés",
           "en attente", "en échec", "annulés")


def test_the_monthly_report_counts_an_alert_and_its_end_once_with_numbers_in_numeric_columns(
        testapp, dbsession, mairie, agent_login, clock):
    """Walkstaff item 7: « Alertes de la mairie : 2 » for one alert and its end; the CSV had
    sentences where numbers are expected."""
    import csv
    import io
    import re

    from pypdf import PdfReader

    from vvs_core.testing import run_tasks

    clock.set_local(2026, 12, 7, 6, 22)
    agent_login(testapp, mairie)
    form = {"category": "travaux", "title": "Coupure d’eau rue Émile Cloud 💧", "body": "Citerne « place de l’Église ».",
            "target": "commune", "confirm": "1"}
    url = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    run_tasks()
    clock.set_local(2026, 12, 7, 6, 25)
    testapp.post_csrf(url, {"kind": "update", "body": "Retour prévu vers 7 h ⏱️"}, status=303)
    testapp.post_csrf(url, {"kind": "all_clear", "body": "L’eau est rétablie ✅"}, status=303)

    html = _main_text(testapp.get("/mairie/77449/rapport/2026-12"))
    assert "Alertes de la mairie : 1" in html, html
    assert "07/12 06:22 · Travaux / route barrée · Coupure d’eau rue Émile Cloud 💧" in html
    assert "1 mise à jour · terminée le 07/12/2026 à 06:25" in html
    assert "Fin d'alerte : Coupure" not in html and "Mise à jour : Coupure" not in html

    raw = testapp.get("/mairie/77449/rapport/2026-12.csv").body
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    for row in rows:  # numbers only where numbers are expected (a French decimal comma at most)
        for column in NUMERIC:
            assert re.fullmatch(r"|[0-9]+(,[0-9]+)?", row[column]), (column, row)
    [total] = [r for r in rows if r["section"] == "alertes de la mairie" and r["libellé"] == "total"]
    assert total["nombre"] == "1"
    [alert] = [r for r in rows if r["section"] == "alertes de la mairie" and r["libellé"] != "total"]
    assert alert["libellé"] == "Travaux / route barrée · Coupure d’eau rue Émile Cloud 💧"
    assert alert["date"] == "07/12/2026 06:22:00"  # Paris time
    first = dbsession.scalars(select(MairieAlert).order_by(MairieAlert.id)).first()
    statuses = dbsession.execute(select(Notification.channel, Notification.status).where(
        Notification.subject_type == "mairie_alert", Notification.subject_id == first.id)).all()
    assert int(alert["destinataires"]) == len(mairie.residents)
    for column, channel in (("SMS envoyés", "sms"), ("e-mails envoyés", "email")):
        assert int(alert[column]) == sum(1 for c, s in statuses if c == channel and s in ("sent", "delivered")) > 0
    assert alert["en attente"] == alert["en échec"] == alert["annulés"] == "0"
    assert alert["commentaire"] == "1 mise à jour · terminée le 07/12/2026 à 06:25"
    [rate] = [r for r in rows if r["libellé"] == "taux de prise en compte (%)"]
    assert rate["nombre"] == "" and rate["commentaire"] == "aucune alerte des habitants"

    pdf = testapp.get("/mairie/77449/rapport/2026-12.pdf").body
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Alertes de la mairie : 1" in text and "terminée le 07/12/2026 à 06:25" in text, text
