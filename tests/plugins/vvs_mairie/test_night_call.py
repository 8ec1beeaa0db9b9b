"""A commune alert sent at 23:30 (Paris time, summer and winter) to a household with only
a landline: its call waits for the morning, and every page of the mairie that tells
the alert's reach says at what hour it will ring (Paris time), never a bare « en attente »."""
from __future__ import annotations

import pytest

from vvs_mairie.testing import agent_login, mairie  # noqa: F401


def _text(page) -> str:
    return " ".join(page.html.find("main").get_text().split())


@pytest.mark.parametrize("month", [7, 1], ids=["été", "hiver"])
def test_a_call_held_for_the_night_says_its_hour_everywhere(testapp, dbsession, mairie, agent_login, clock, voice,
                                                             month):
    from vvs_core.testing import run_tasks

    clock.set_local(2026, month, 14, 23, 30)
    mairie.residents[0].landline, mairie.residents[0].mobile = "+33160000077", None
    dbsession.flush()
    agent_login(testapp, mairie)
    form = {"category": "travaux", "title": "Coupure d’eau rue de l’Église 💧", "target": "commune",
            "body": "Citerne « place de l’Œuvre » dès 8 h.", "confirm": "1"}
    url = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    run_tasks()
    expected = "appels : 1 prévu à 8 h 00"
    assert expected in _text(testapp.get(url))
    report = _text(testapp.get(f"/mairie/77449/rapport/2026-{month:02d}"))
    assert expected in report and "1 en attente" not in report, report
    csv = testapp.get(f"/mairie/77449/rapport/2026-{month:02d}.csv").text
    line = next(r for r in csv.splitlines() if "Coupure d’eau" in r)
    assert "appel prévu à 8 h 00" in line, line
    assert report.count("8 h 00") == 1, "the hour is said once on the report's page"
