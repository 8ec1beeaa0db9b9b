"""Browser: pre-moderation. A second server on the same database runs with
``vvs.alerts.moderation = pre`` (set, like any setting, by its environment variable):
the resident's alert is held, the référent validates it from the moderation queue,
and only then does it reach the neighbours."""
import re
import tempfile

import pytest
from conftest import start_server, stop_server
from phones import open_page
from playwright.sync_api import expect

RESIDENT = "monique.lefevre@serris.demo"   # Le Bourg; posts in no other browser test
REFERENT = "referent@serris.demo"          # référente of Le Bourg


@pytest.fixture(scope="module")
def premoderated_server(live_server):
    server = start_server(live_server.db_url, tempfile.mkdtemp(prefix="vvs-e2e-pre-"),
                          env={"VVS_ALERTS_MODERATION": "pre"}, what="the pre-moderation server")
    yield server
    stop_server(server)


def test_held_until_the_referent_validates_it(browser, premoderated_server, login, shot):
    def fresh():
        return open_page(browser, premoderated_server, viewport={"width": 412, "height": 915})

    ctx, page = fresh()
    login(page, RESIDENT)
    page.goto("/alertes/nouvelle")
    page.get_by_label("Ce que vous signalez").select_option(label="Tentative de cambriolage")
    page.get_by_label("Ce que vous avez vu").fill("Volet forcé au 12 rue de la Ferme vers 3 h, deux personnes parties à pied.")
    page.get_by_role("button", name="Envoyer l'alerte").click()
    expect(page.get_by_text("en attente de validation").first).to_be_visible()
    assert "aucune notification" in page.locator("#alert-reach").inner_text()
    shot(page, "alerts-premoderation-held")
    alert_url = page.url
    ctx.close()

    ctx, page = fresh()
    login(page, REFERENT)
    page.goto("/alertes/moderation")
    item = page.locator("li, article, tr, section", has_text="Volet forcé au 12 rue de la Ferme").last
    shot(page, "alerts-premoderation-queue")
    item.get_by_role("button", name="Valider et envoyer").click()
    # The validation's answer before leaving (a goto at once could cancel the POST).
    expect(page.get_by_text("Validée : l'auteur en est informé")).to_be_visible()
    page.goto(alert_url)
    expect(page.get_by_text("en attente de validation")).to_have_count(0)
    # The reach line updates itself (GET /alertes/N/portee) until nothing is pending: wait
    # for it, with the deadline the delivery has, rather than reloading the whole page
    # every half second (under load, reloads timed out while the server rendered them).
    expect(page.locator("#alert-reach")).to_contain_text(re.compile("envoy|remis"), timeout=30000)
    shot(page, "alerts-premoderation-sent")
    ctx.close()
