"""ALERTES, as the seeds tell it: « Votre alerte sera reçue par les membres de votre
communauté directement par SMS, email et notification ».

Julien (Le Bourg) sees a van and posts an alert from his phone; his neighbours' phones
get an SMS that keeps his words (in GSM-7: « boîtes » becomes « boites ») and a link to
this server that opens the alert; the e-mail's link opens it too; every page shows the
hour he posted it, in Paris. A neighbour reports it, the moderation keeps it, Julien
sends the all-clear, which reaches the phones as well.
(Pre-moderation: test_browser_alerts_premoderation.py.)
"""
import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from journey import PARIS, ActionTime, Hours, links, mail_to
from menu import open_menu
from vvs_core.testing import mail_text, wait_for

pytestmark = pytest.mark.browser

JULIEN = "resident@serris.demo"       # Julien Martin, Le Bourg
CLAIRE = "referent@serris.demo"       # Claire Dubois, référente du Bourg
MODERATOR = "moderateur@serris.demo"
TEXT = ("Camionnette blanche garée rue de Lagny : deux hommes regardent les boîtes aux lettres et notent les noms. "
        "L’un porte un gilet « ENEDIS », l’autre un bonnet bordeaux ; ils sonnent chez les personnes âgées "
        "en se présentant pour un « contrôle du compteur ». Ne leur ouvrez pas et prévenez vos voisins âgés 🚐. "
        "Plaque commençant par GH-4, direction la place de l’Église et le cœur du Bourg.")


def listed(page, alert_path):
    """The list entry that links to the alert."""
    return page.get_by_role("listitem").filter(has=page.locator(f'a[href="{alert_path}"]')).first


def test_an_alert_reaches_the_phones_and_mailboxes_with_its_words_and_hour(phone, person, login, shot, live_server,
                                                                          mails, sms):
    hours = Hours()
    login(phone, JULIEN)
    open_menu(phone).get_by_role("link", name="Lancer une alerte").click()
    expect(phone.get_by_text("En cas d'urgence ou de flagrant délit, appelez le 17").first).to_be_visible()
    phone.get_by_label("Ce que vous signalez").select_option(label="Véhicule ou individu en repérage")
    phone.get_by_label("Ce que vous avez vu").fill(TEXT)
    # The counter shows the SMS the server will send: GSM-7, with the link on this server.
    expect(phone.locator("#sms-count")).to_contain_text("SMS : 2 messages")
    phone.get_by_text("Voir le SMS tel que les voisins le recevront").click()
    preview = phone.locator(".sms-preview")
    expect(preview).to_contain_text("regardent les boites aux lettres")
    expect(preview).to_contain_text(live_server + "/alertes/")
    phone.get_by_role("region", name="Carte du quartier : touchez pour indiquer le lieu").click()
    shot(phone, "journey-alertes-1-formulaire")
    with ActionTime() as posted:
        phone.get_by_role("button", name="Envoyer l'alerte").click()
        expect(phone.get_by_role("heading", level=1)).to_contain_text("Véhicule ou individu en repérage")
    alert_url = phone.url
    alert_path = alert_url[len(live_server):]
    assert re.fullmatch(r"/alertes/\d+", alert_path), alert_url
    expect(phone.get_by_text("regardent les boîtes aux lettres")).to_be_visible()
    signed = phone.get_by_text(re.compile("^Signalée par")).inner_text()
    hours.check(signed.split("active jusqu")[0], posted, "page de l'alerte")
    shot(phone, "journey-alertes-2-alerte")

    # The neighbours' phones: the words, in GSM-7, and the link to this very server.
    received = wait_for(lambda: [s for s in sms() if alert_url in s.text])
    assert received, [s.text for s in sms()][-3:]
    for message in received:
        assert message.encoding == "GSM-7" and message.segments <= 2, message
        # é, è, à are GSM-7 letters and stay; î, ’, « » are transliterated.
        assert message.text.startswith("ALERTE Le Bourg - véhicule ou individu en repérage : Camionnette blanche garée"), message
        assert "regardent les boites aux lettres" in message.text, message
        assert 'L\'un porte un gilet "ENEDIS"' in message.text, message
        assert f"(Julien M.) {alert_url} En cas d'urgence, appelez le 17." in message.text, message
    claire = person(CLAIRE)
    link = re.search(r"https?://\S+", received[0].text).group(0)
    claire.goto(link)
    expect(claire.get_by_role("heading", level=1)).to_contain_text("Véhicule ou individu en repérage")
    expect(claire.get_by_text("regardent les boîtes aux lettres")).to_be_visible()
    shot(claire, "journey-alertes-3-lien-du-sms")

    # The e-mail: the words as written, and a link that opens the alert.
    mail = mail_to(mails, CLAIRE, "regardent les boîtes aux lettres")
    assert alert_url in links(mail), links(mail)
    hours.check(next(line for line in mail_text(mail).splitlines() if line.startswith("Signalé par")), posted, "e-mail")
    claire.goto(alert_url)
    expect(claire.get_by_text("Signalée par Julien Martin")).to_be_visible()

    # The same hour everywhere the alert is listed.
    claire.goto("/alertes")
    hours.check(listed(claire, alert_path).inner_text(), posted, "/alertes")
    with claire.expect_navigation():  # the home page's entry, not /alertes' still there
        open_menu(claire).get_by_role("link", name="Accueil").click()
    hours.check(listed(claire, alert_path).inner_text(), posted, "accueil")
    claire.goto(alert_url)
    with claire.expect_navigation():
        claire.get_by_role("link", name=re.compile("^Toutes les alertes")).click()
    hours.check(listed(claire, alert_path).inner_text(), posted, "alertes de la communauté")
    shot(claire, "journey-alertes-4-liste")
    # … and in its CAP 1.2 form, for the applications that relay alerts.
    claire.goto(alert_url)
    cap = claire.request.get(claire.get_by_role("link", name="format CAP").get_attribute("href")).text()
    effective = re.search(r"<(?:cap:)?effective>([^<]+)<", cap).group(1)
    hours.check(datetime.fromisoformat(effective).astimezone(PARIS).strftime("%H:%M"), posted, f"CAP ({effective})")

    # A neighbour finds it too precise, the moderation keeps it.
    claire.goto(alert_url)
    claire.get_by_label("Ce qui ne va pas").fill("Le texte cite une plaque d’immatriculation : à vérifier, s’il vous plaît.")
    claire.get_by_role("button", name="Signaler à la modération").click()
    expect(claire.get_by_text("la modération va examiner")).to_be_visible()
    moderator = person(MODERATOR)
    open_menu(moderator).get_by_role("link", name="Alertes à modérer").click()
    expect(moderator.get_by_text("Le texte cite une plaque d’immatriculation")).to_be_visible()
    queued = moderator.locator("p").filter(has=moderator.locator(f'a[href="{alert_path}"]')).first
    hours.check(queued.inner_text(), posted, "file de modération")
    shot(moderator, "journey-alertes-5-moderation")
    moderator.get_by_role("button", name="Garder l'alerte").first.click()
    expect(moderator.get_by_text("Validée")).to_be_visible()

    # Julien: the van is gone. The all-clear reaches the same phones.
    phone.goto(alert_url)
    phone.get_by_label("Nouvelle information").fill("La camionnette est repartie vers Chessy ; la police municipale a "
                                                    "relevé la plaque. Merci à tous pour votre vigilance !")
    with ActionTime() as ended:
        phone.get_by_role("button", name="Fin d'alerte").click()
        expect(phone.get_by_text("Fin d'alerte envoyée aux voisins")).to_be_visible()
    update = phone.get_by_role("listitem").filter(has_text="la police municipale a relevé la plaque")
    hours.check(update.inner_text(), ended, "fin d'alerte")
    shot(phone, "journey-alertes-6-fin")
    all_clear = wait_for(lambda: [s for s in sms() if s.text.startswith("FIN D'ALERTE Le Bourg") and alert_url in s.text])
    assert all_clear and all("la police municipale a relevé la plaque" in s.text for s in all_clear), all_clear
    hours.verify()
