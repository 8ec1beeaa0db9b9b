"""Browser: a moderator suspends an author's posting from the alert page, sees it on
the sanctions page, lifts it from the member's history; the author is told by e-mail
until when and how to contest. Pages at 360 px."""

import re

from playwright.sync_api import expect

from mail_wait import wait_for_mail
from phones import open_page

from vvs_core.testing import mail_text

AUTHOR = "mehdi.bouzid@serris.demo"   # Quartier du Parc; in no other browser test
MODERATOR = "moderateur@serris.demo"


def test_suspend_then_lift_with_history(browser, live_server, login, shot, mails):
    ctx, page = open_page(browser, live_server)
    login(page, AUTHOR)
    page.goto("/alertes/nouvelle")
    page.get_by_label("Ce que vous signalez").select_option(label="Autre")
    page.get_by_label("Ce que vous avez vu").fill("Le voisin du 3 est « louche » 🙄, il a une drôle de tête.")
    page.get_by_role("button", name="Envoyer l'alerte").click()
    # The click does not wait for the answer: read the URL once on the alert's page (on a
    # loaded machine it was still /alertes/nouvelle, where the moderator found no form).
    expect(page).to_have_url(re.compile(r"/alertes/\d+$"))
    alert_url = page.url
    ctx.close()

    ctx, page = open_page(browser, live_server)
    login(page, MODERATOR)
    page.goto(alert_url)
    page.get_by_label("Motif (transmis à l'auteur)").fill("Décrivez des faits, jamais l’apparence d’une personne.")
    page.get_by_label("Durée de suspension").fill("3")
    page.get_by_role("button", name="Suspendre ses publications").click()
    expect(page.get_by_text("l'auteur en est informé")).to_be_visible()
    page.goto("/alertes/moderation/sanctions")
    card = page.locator(".queue-item", has_text="Mehdi")
    expect(card).to_be_visible()
    shot(page, "moderation-sanctions-360")
    card.get_by_role("link", name="Mehdi Bouzid").click()
    expect(page.get_by_role("heading", name="Historique de modération : Mehdi Bouzid")).to_be_visible()
    page.get_by_label("Motif (transmis à la personne)").fill("Excuses présentées au voisin.")
    page.get_by_role("button", name="Lever la suspension").click()
    expect(page.get_by_text("Suspension levée : la personne en est informée.")).to_be_visible()
    expect(page.locator(".history li", has_text="Suspension levée")).to_be_visible()
    shot(page, "moderation-history-360")
    ctx.close()

    suspended = mail_text(wait_for_mail(mails, AUTHOR, "Publication d'alertes suspendue"))
    assert "jusqu'au" in suspended and "Pour contester cette décision" in suspended
    lifted = mail_text(wait_for_mail(mails, AUTHOR, "Vous pouvez de nouveau lancer des alertes"))
    assert "Excuses présentées au voisin." in lifted



MEMBER = "lea.rousseau@serris.demo"   # Quartier du Parc; in no other browser test


def test_a_moderator_bans_an_account_then_reopens_it(browser, live_server, login, shot, mails, e2e_db):
    """The account's ban, from the member's moderation history: the person can no longer
    sign in and is told why and how to contest; the sanctions page lists the account."""
    from sqlalchemy import select

    from vvs_core.models import User

    with e2e_db() as s:
        member_id = s.scalar(select(User.id).where(User.email == MEMBER))

    ctx, page = open_page(browser, live_server)
    login(page, MODERATOR)
    page.goto(f"/alertes/moderation/membres/{member_id}")
    page.get_by_role("link", name="Suspendre, bannir ou rouvrir son compte").click()
    expect(page.get_by_role("heading", name="Compte de Léa Rousseau")).to_be_visible()
    page.get_by_label("Action sur le compte").select_option(label="Bannir")
    page.get_by_label("Motif (gardé dans le journal)").fill("abc")
    page.get_by_role("button", name="Appliquer").click()
    expect(page.get_by_text("Le motif doit comporter au moins 5 caractères.").first).to_be_visible()
    page.get_by_label("Action sur le compte").select_option(label="Bannir")
    page.get_by_label("Motif (gardé dans le journal)").fill("Menaces envers un voisin « rue de l’Église » 😞")
    page.get_by_role("button", name="Appliquer").click()
    expect(page.get_by_text("Compte de Léa Rousseau : banni.")).to_be_visible()
    expect(page.locator("li", has_text="Compte banni")).to_be_visible()
    shot(page, "moderation-account-ban-360")
    page.goto("/alertes/moderation/sanctions")
    listed = page.locator("section", has=page.get_by_role("heading", name=re.compile("Comptes suspendus ou bannis")))
    expect(listed.get_by_role("link", name="Léa Rousseau")).to_be_visible()

    other, victim = open_page(browser, live_server)
    login(victim, MEMBER)
    expect(victim.get_by_text("Ce compte a été banni par l'équipe de la plateforme")).to_be_visible()
    other.close()
    banned = mail_text(wait_for_mail(mails, MEMBER, "Votre compte est banni"))
    assert "Menaces envers un voisin" in banned and "Pour contester cette décision" in banned

    listed.get_by_role("link", name="Léa Rousseau").click()
    page.get_by_label("Action sur le compte").select_option(label="Rouvrir le compte")
    page.get_by_label("Motif (gardé dans le journal)").fill("Excuses présentées au voisin.")
    page.get_by_role("button", name="Appliquer").click()
    expect(page.get_by_text("Compte de Léa Rousseau : actif.")).to_be_visible()
    ctx.close()
