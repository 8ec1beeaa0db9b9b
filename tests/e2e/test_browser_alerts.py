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


def test_post_report_moderate_and_all_clear(browser, live_server, login, shot, e2e_db, mails):
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
    text.fill("Deux hommes en gilet orange se disent « du gaz », ils s’arrêtent à chaque boîte aux lettres ; "
              "camionnette blanche AB-123-CD, rue de Lagny.")
    # the counter shows the SMS the server will send: GSM-7, with the link on this server
    expect(page.locator("#sms-count")).to_contain_text("Il reprendra tout votre texte")
    page.get_by_text("Voir le SMS tel que les voisins le recevront").click()
    preview = page.locator(".sms-preview")
    expect(preview).to_contain_text('se disent "du gaz", ils s\'arretent à chaque boite aux lettres')
    expect(preview).to_contain_text(live_server + "/alertes/")
    page.locator("#alert-map").click()
    shot(page, "alerts-new")
    page.get_by_role("button", name="Envoyer l'alerte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Démarchage suspect")
    alert_url = page.url
    alert_id = int(alert_url.rsplit("/", 1)[1])
    reach = _wait_for_reach(page)
    from sqlalchemy import select
    from vvs_core.models import Notification

    with e2e_db() as db:
        sms = db.scalars(select(Notification.body).where(Notification.subject_type == "alert",
                                                         Notification.subject_id == alert_id,
                                                         Notification.channel == "sms")).all()
    assert sms and all("chaque boite aux lettres" in body and f"{alert_url} En cas d'urgence" in body for body in sms)
    from vvs_core.testing import mail_text, wait_for

    alert_mails = wait_for(lambda: [mail_text(m) for m in mails() if alert_url in mail_text(m)])
    assert alert_mails and "chaque boîte aux lettres" in alert_mails[0]
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
