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
    from vvs_core.testing import run_tasks, use_provider
    from vvs_dev_providers.providers import FolderVoiceCaller

    clock.set_local(2026, 12, 7, 6, 22)  # Paris time, before the calls' morning
    mairie.residents[0].landline, mairie.residents[0].mobile = "+33160000077", None
    dbsession.flush()
    agent_login(testapp, mairie)
    calls = tmp_path / "appels"
    use_provider(app.registry, "voice", FolderVoiceCaller(str(calls), speak=False))
    try:
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
    finally:
        use_provider(app.registry, "voice", None)
