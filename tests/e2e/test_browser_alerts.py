"""Browser: a resident posts an alert (post-moderation, the app's setting), sees its
reach; a neighbour reports it; a moderator keeps it from the queue; the author posts
the all-clear. Pre-moderation: test_browser_alerts_premoderation.py (and WebTest in
tests/plugins/vvs_alerts/test_moderation.py)."""
import re
import time

from playwright.sync_api import expect

RESIDENT = "resident@serris.demo"
NEIGHBOUR = "referent@serris.demo"   # Claire Dubois, référente of Le Bourg like Julien
MODERATOR = "moderateur@serris.demo"


def _wait_for_reach(page, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = page.locator("#alert-reach").inner_text()
        if "envoy" in text or "remis" in text:
            return text
        time.sleep(0.5)
        page.reload()
    return page.locator("#alert-reach").inner_text()


def test_post_report_moderate_and_all_clear(browser, live_server, login, shot):
    def fresh():
        context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=live_server)
        context.set_default_timeout(15000)
        return context, context.new_page()

    ctx, page = fresh()
    login(page, RESIDENT)
    page.goto("/alertes/nouvelle")
    expect(page.get_by_text("En cas d'urgence ou de flagrant délit, appelez le 17").first).to_be_visible()
    page.get_by_label("Ce que vous signalez").select_option(label="Démarchage suspect")
    text = page.get_by_label("Ce que vous avez vu")
    text.fill("Deux hommes en gilet orange se disent du gaz, camionnette blanche AB-123-CD, rue de Lagny.")
    expect(page.locator("#sms-count")).to_contain_text("SMS")
    page.locator("#alert-map").click()
    shot(page, "alerts-new")
    page.get_by_role("button", name="Envoyer l'alerte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Démarchage suspect")
    alert_url = page.url
    reach = _wait_for_reach(page)
    assert re.search(r"(SMS|e-mail) : \d+", reach), reach
    shot(page, "alerts-view-reach")
    ctx.close()

    ctx, page = fresh()
    login(page, NEIGHBOUR)
    page.goto(alert_url)
    page.get_by_label("Ce qui ne va pas").fill("Le texte cite une plaque : à vérifier par la modération.")
    page.get_by_role("button", name="Signaler à la modération").click()
    expect(page.get_by_text("la modération va examiner")).to_be_visible()
    ctx.close()

    ctx, page = fresh()
    login(page, MODERATOR)
    page.goto("/alertes/moderation")
    expect(page.get_by_text("Le texte cite une plaque")).to_be_visible()
    shot(page, "alerts-moderation-queue")
    page.get_by_role("button", name="Garder l'alerte").first.click()
    expect(page.get_by_text("Validée")).to_be_visible()
    ctx.close()

    ctx, page = fresh()
    login(page, RESIDENT)
    page.goto(alert_url)
    page.get_by_role("button", name="Fin d'alerte").click()
    expect(page.get_by_text("Fin d'alerte envoyée aux voisins")).to_be_visible()
    expect(page.locator(".update-all_clear")).to_be_visible()
    shot(page, "alerts-all-clear")
    ctx.close()
