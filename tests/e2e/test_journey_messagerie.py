"""LA MESSAGERIE, as the seeds tell it: « communiquer par exemple mon absence à l'un de
mes voisins et lui demander de veiller sur mon habitation ».

On 360 px phones: Julien writes to Monique before his holidays; Monique's e-mail links to
the conversation (through the sign-in page), which shows the message at the hour it was
sent, in Paris; she answers; Julien sees the unread badge, then the answer and its hour.
"""
import pytest
from playwright.sync_api import expect

from journey import ActionTime, Hours, links, mail_to, sign_in_here
from menu import open_menu
from vvs_core.testing import mail_text

pytestmark = pytest.mark.browser

JULIEN = "resident@serris.demo"          # Julien Martin, Le Bourg
MONIQUE = "monique.lefevre@serris.demo"  # Monique Lefèvre, Le Bourg
SUBJECT = "Absence du 12 au 26 août – un œil sur la maison ?"
MESSAGE = ("Bonjour Monique, nous partons en Bretagne du 12 au 26 août. Pourriez-vous jeter un œil à la maison "
           "de temps en temps ? Les volets du rez-de-chaussée resteront fermés ; la lumière de l’entrée s’allume "
           "toute seule le soir, c’est normal. Si vous voyez quelqu’un rôder, appelez le 17 d’abord, puis mon "
           "portable. Je vous rapporterai du caramel au beurre salé 🙂. Merci mille fois ! Julien")
ANSWER = "Avec plaisir, Julien ! Je relèverai aussi votre boîte aux lettres. Bonnes vacances à toute la famille."


def sent_at(page, text):
    return page.get_by_role("listitem").filter(has_text=text).first


def test_julien_asks_monique_to_watch_his_house(phone, person, login, shot, live_server, mails):
    hours = Hours()
    login(phone, JULIEN)
    open_menu(phone).get_by_role("link", name="Messagerie").click()
    phone.get_by_role("link", name="Nouveau message").click()
    phone.get_by_label("Monique L.").check()
    phone.get_by_label("Sujet (facultatif)").fill(SUBJECT)
    phone.get_by_role("textbox", name="Message").fill(MESSAGE)
    shot(phone, "journey-messagerie-1-nouveau")
    with ActionTime() as sent:
        phone.get_by_role("button", name="Envoyer").click()
        phone.get_by_text("Pourriez-vous jeter un œil à la maison").wait_for()
    conversation_url = phone.url
    hours.check(sent_at(phone, "Pourriez-vous jeter un œil").inner_text().split("\n")[0], sent, "conversation (auteur)")

    mail = mail_to(mails, MONIQUE, "vous a écrit")
    link = next(u for u in links(mail) if u.startswith(live_server))
    assert link == conversation_url, (link, conversation_url)
    hours.check(next(line for line in mail_text(mail).splitlines() if "vous a écrit" in line), sent, "e-mail")
    monique = person()
    monique.goto(link)
    sign_in_here(monique, MONIQUE)
    assert monique.url == conversation_url, monique.url
    expect(monique.get_by_text("caramel au beurre salé 🙂")).to_be_visible()
    hours.check(sent_at(monique, "Pourriez-vous jeter un œil").inner_text().split("\n")[0], sent, "conversation (destinataire)")
    shot(monique, "journey-messagerie-2-recu")
    monique.get_by_role("textbox", name="Message").fill(ANSWER)
    with ActionTime() as answered:
        monique.get_by_role("button", name="Envoyer").click()
        monique.get_by_text(ANSWER).wait_for()

    phone.goto("/")
    expect(open_menu(phone).get_by_role("link", name="Messagerie")).to_contain_text("1")
    shot(phone, "journey-messagerie-3-badge")
    with phone.expect_navigation():  # the inbox, not the home page still there
        open_menu(phone).get_by_role("link", name="Messagerie").click()
    inbox_entry = phone.get_by_role("listitem").filter(has_text=SUBJECT).first
    hours.check(inbox_entry.inner_text(), answered, "boîte de réception")
    inbox_entry.get_by_role("link").first.click()
    expect(phone.get_by_text(ANSWER)).to_be_visible()
    hours.check(sent_at(phone, ANSWER).inner_text().split("\n")[0], answered, "réponse")
    phone.goto("/")
    expect(open_menu(phone).locator(".badge")).to_have_count(0)
    shot(phone, "journey-messagerie-4-conversation")
    hours.verify()
