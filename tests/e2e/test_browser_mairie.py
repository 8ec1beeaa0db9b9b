"""Browser: a mairie agent enrols and signs in with TOTP, alerts an area drawn on the
map, sees the reach estimate and the reach report, and sees a resident's alert appear
live on the dashboard.

The live alert is inserted through vvs_alerts' own table when that plugin answers
``vvs_commune_activity``; until it does, the dashboard is checked against
acknowledgements of the mairie's own alert list (see ``test_live_alert``)."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect
from menu import open_menu
from mairie_login import demo_agent, enrol_and_sign_in, stored_secret, write_alert  # noqa: F401 (demo_agent: a fixture)

pytestmark = pytest.mark.browser


def test_agent_totp_area_alert_and_reach(page, login, shot, demo_agent, e2e_db):
    enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
    # Sign out, back in: this time the second factor is asked, with a code from the same secret.
    secret = stored_secret(e2e_db, demo_agent)
    open_menu(page).get_by_role("button", name="Se déconnecter").click()
    login(page, demo_agent)
    page.goto("/mairie")
    page.wait_for_url(re.compile(r"/mairie/2fa$"))
    # A code is accepted once: the next one (the phone would show it within 30 s).
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r"/mairie/77449$"))
    shot(page, "mairie-dashboard")

    write_alert(page, "travaux", "Route barrée rue de Lagny jusqu'à 18 h",
                "Déviation par la rue de la Ferme.")
    page.get_by_label("Une zone dessinée sur la carte").check()
    # Draw around the town centre (Le Bourg) through the map's API, as clicks would.
    page.evaluate("""() => {
        const a = window.vvsMairieArea;
        [[48.8440, 2.7840], [48.8440, 2.7885], [48.8470, 2.7885], [48.8470, 2.7840]].forEach(p => a.addPoint(p[0], p[1]));
    }""")
    assert page.locator("#area-count").inner_text().startswith("4")
    page.get_by_role("button", name="Estimer la portée").click()
    estimate = page.locator(".reach-estimate").inner_text()
    assert re.search(r"environ \d+ foyers?, \d+ SMS", estimate), estimate
    assert not estimate.startswith("environ 0 ")
    shot(page, "mairie-alert-estimate")
    page.get_by_role("button", name="Envoyer l'alerte").click()
    page.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
    report = page.locator(".reach-report").inner_text()
    assert re.search(r"\d+ destinataires?", report) and "SMS" in report
    shot(page, "mairie-alert-report")


def test_an_area_not_drawn_is_summarised_as_the_map_s_error(page, login, shot, demo_agent, e2e_db):
    """Walkstaff item 9: « Une zone dessinée sur la carte » and no zone: the summary links to
    the map (not to « Catégorie »), and its message suits the keyboard too."""
    enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
    write_alert(page, "travaux", "Coupure d’eau « rue Émile Cloud » 💧", "Citerne place de l’Église.")
    page.get_by_label("Une zone dessinée sur la carte").check()
    page.get_by_role("button", name="Estimer la portée").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    [link] = summary.get_by_role("link").all()
    assert link.inner_text() == "Zone (si « zone dessinée »)" and link.get_attribute("href") == "#area-map"
    message = page.locator("#area-field p.error").inner_text()
    assert "au clavier" in message and "cliquez" not in message
    assert page.locator("#category").get_attribute("aria-invalid") is None
    assert page.locator("#area-map").get_attribute("aria-invalid") == "true"
    shot(page, "mairie-alert-area-missing")
    link.press("Enter")
    expect(page.locator("#area-map")).to_be_focused()
    # From the map, the keyboard route the message names: a point at the map's centre.
    page.get_by_role("button", name="Ajouter un sommet au centre de la carte").click()
    expect(page.locator("#area-count")).to_have_text(re.compile("^1 sommet placé"))


def test_live_alert_appears_on_the_dashboard(browser, login, shot, demo_agent, live_server, e2e_db):
    """A resident posts a real alert (vvs_alerts) while the agent's dashboard is open:
    it appears without reloading (the dashboard polls), and "Pris en compte" works."""
    text = "Individu qui relève les boîtes aux lettres rue de Lagny, 15 h, sac à dos rouge."
    # The agent's browser is set to another time zone: the hour shown must still be Paris time.
    agent_context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=live_server,
                                        timezone_id="America/New_York")
    resident_context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=live_server)
    page, resident = agent_context.new_page(), resident_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        assert page.locator(".activity-item", has_text="boîtes aux lettres").count() == 0
        login(resident, "resident@serris.demo")
        resident.goto("/alertes/nouvelle")
        resident.get_by_label("Ce que vous signalez").select_option(label="Véhicule ou individu en repérage")
        resident.get_by_label("Ce que vous avez vu").fill(text)
        with resident.expect_navigation():
            resident.get_by_role("button", name="Envoyer l'alerte").click()
        shot(resident, "mairie-live-resident-posted")
        posted = re.search(r"(\d\d/\d\d)/\d{4} à (\d\d:\d\d)", resident.locator("main").inner_text())
        item = page.locator(".activity-item", has_text="boîtes aux lettres")
        item.wait_for(timeout=15000)  # the dashboard polls every 4 s
        assert f"{posted.group(1)} {posted.group(2)}" in item.inner_text()  # the server's hour, not the browser's
        shot(page, "mairie-live-alert")
        with page.expect_navigation():  # back on the same address: wait_for_url alone would not wait
            item.get_by_role("button", name="Pris en compte").click()
        page.wait_for_url(re.compile(r"/mairie/77449$"))
        assert page.locator(".activity-item .pill.ok", has_text="prise en compte").count() >= 1
    finally:
        agent_context.close()
        resident_context.close()
    assert not errors, errors
