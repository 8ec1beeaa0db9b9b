"""Browser, at 360 px: an official warning (MeteoAlarm's CAP Atom for Seine-et-Marne,
served by a local server on the warnings' ports) appears as a draft on the mairie's
dashboard; the agent reviews it, adds a line and sends it; the residents' SMS name the
source; the source's cancellation in the feed ends the alert (« Fin d'alerte »)."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from conftest import start_server, stop_server
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import PHONE, browsing, reload_until
from vvs_core.testing import wait_for
from warnings_feeds import FeedServer, read_sample

pytestmark = pytest.mark.browser
SOURCE = "Météo-France (MeteoAlarm)"


class Feeds(FeedServer):
    """MeteoAlarm's feed as the test wants it now."""

    def publish(self, cap_name: str, identifier: str):
        atom = read_sample("meteoalarm-france.atom", base=self.base)
        self.files["/meteoalarm-france.atom"] = atom.replace(b"/cap/orages-77.xml", f"/cap/{cap_name}".encode()).replace(
            b"20260714140000.ORAGES77", identifier.encode())
        self.files[f"/cap/{cap_name}"] = read_sample(cap_name)
        self.files["/cap/vent-29.xml"] = read_sample("vent-29.xml")


@pytest.fixture
def feeds():
    server = Feeds().start()
    yield server
    server.stop()


@pytest.fixture
def warnings_server(live_server, feeds):
    """A second server on the same database whose scheduler polls the local feed every second."""
    server = start_server(live_server.db_url, tempfile.mkdtemp(prefix="vvs-e2e-mail-"), env={
        "VVS_WARNINGS_FEEDS": f"cap-atom {feeds.base}/meteoalarm-france.atom {SOURCE}",
        "VVS_WARNINGS_POLL_INTERVAL": "1"}, what="the warnings server")
    yield server
    stop_server(server)


def _sms_lines(server) -> list[str]:
    path = Path(server.sms_log)
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_an_official_warning_drafted_sent_then_ended_by_the_source(browser, login, shot, demo_agent, e2e_db,
                                                                   feeds, warnings_server):
    feeds.publish("orages-77.xml", "20260714140000.ORAGES77")
    errors = []
    with browsing(browser, warnings_server, errors, viewport=PHONE, timezone_id="Europe/Paris") as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        reload_until(page, lambda: page.get_by_text("Avertissements officiels à relayer (1)").count() > 0,
                     "the draft on the dashboard")
        shot(page, "warnings-dashboard-draft")
        page.get_by_role("link", name="Vigilance orange : Orages").first.click()
        page.wait_for_url(re.compile(r"/avertissements/77449/\d+$"))
        assert SOURCE in page.locator("main").inner_text()
        assert re.search(r"environ \d+ foyers?", page.locator("main").inner_text())
        message = page.get_by_label(re.compile("^Message"))
        message.fill(message.input_value() + "\n\nLa salle « Jean-Moulin » reste ouverte cette nuit ☔ : n’hésitez pas.")
        shot(page, "warnings-review")
        page.get_by_role("button", name="Envoyer aux habitants").click()
        page.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
        main = page.locator("main").inner_text()
        assert "Vigilance orange : Orages" in main and f"Source : {SOURCE}" in main
        assert "Jean-Moulin" in main
        shot(page, "warnings-sent")
        alert_url = page.url
        # The console provider's line (shortened for the log): who speaks first, the source last.
        assert wait_for(lambda: any("Mairie de Serris - Vigilance orange" in line and line.endswith(f"(source : {SOURCE})")
                                    for line in _sms_lines(warnings_server))), _sms_lines(warnings_server)[-3:]

        # Météo-France cancels: the feed now carries the Cancel; the alert ends by itself.
        feeds.publish("orages-77-cancel.xml", "20260714230000.ORAGES77")
        reload_until(page, lambda: page.get_by_text("Alerte terminée").count() > 0, "the all-clear")
        assert "annulé par la source" in page.locator("main").inner_text()
        shot(page, "warnings-ended")
        page.goto("/mairie/77449")
        assert page.get_by_text("Avertissements officiels à relayer").count() == 0
    assert not errors, errors
