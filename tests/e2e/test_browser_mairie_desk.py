"""Browser, at 360 px, as the mairie's agent (issue 18.4): an account opened at the desk
for a resident without a smartphone; the agent acts for it with a written reason (the
resident's home page, never the password page), ends the session, then hands the account
over: the resident receives the link, chooses a password and signs in."""
from __future__ import annotations

import re

import pytest
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import browsing
from playwright.sync_api import expect

from mail_wait import wait_for_mail

from vvs_core.testing import mail_text

pytestmark = pytest.mark.browser
NAME = "Lefèvre-Ôzil"
EMAIL = "germaine.lefevre-ozil@example.test"  # in no other browser test
REASON = "Mme Lefèvre-Ôzil a appelé : elle veut suivre les alertes de son quartier « par téléphone » 📞"


def test_an_agent_opens_acts_for_and_hands_over_a_desk_account(browser, live_server, login, shot, demo_agent,
                                                                 e2e_db, mails):
    errors = []
    with browsing(browser, live_server, errors) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.get_by_role("link", name="Guichet").click()
        page.wait_for_url(re.compile(r"/mairie/77449/guichet$"))
        form = page.locator("#guichet-nouveau")
        form.get_by_label("Prénom").fill("Germaine")
        form.get_by_label("Nom", exact=True).fill(NAME)
        form.get_by_label("Téléphone (fixe ou portable)").fill("01 99 00 56 78")
        form.get_by_label("Adresse").fill("12 rue du Parc, 77700 Serris")
        form.get_by_label("Communauté de son domicile").select_option(label="Quartier du Parc")
        form.get_by_label("Motif (gardé dans le journal)").fill("Venue au guichet sans téléphone portable.")
        form.get_by_role("button", name="Ouvrir le compte").click()
        expect(page.get_by_text(f"Compte de Germaine {NAME} ouvert")).to_be_visible()
        card = page.locator("li.card", has_text=f"Germaine {NAME}")
        card.locator("summary", has_text="Agir pour ce compte").click()
        card.get_by_label(re.compile("Pourquoi agissez-vous")).fill("ok")
        card.get_by_role("button", name="Agir pour ce compte").click()
        expect(page.get_by_text("Le motif doit comporter au moins").first).to_be_visible()  # nothing started
        expect(page.get_by_text("Rien n'a été enregistré : corrigez le formulaire ci-dessous.")).to_be_visible()
        card = page.locator("li.card", has_text=f"Germaine {NAME}")  # the form stays open, with its error
        card.get_by_label(re.compile("Pourquoi agissez-vous")).fill(REASON)
        shot(page, "mairie-desk-360")
        card.get_by_role("button", name="Agir pour ce compte").click()
        expect(page.get_by_text(f"Vous agissez pour Germaine {NAME}")).to_be_visible()
        shot(page, "mairie-desk-acting-360")
        refused = page.goto("/parametres/mot-de-passe")  # the holder's page only
        assert refused.status == 403 and page.locator("input[type=password]").count() == 0
        page.goto("/mairie/guichet/fin")
        expect(page.get_by_text(REASON)).to_be_visible()
        shot(page, "mairie-desk-end-360")
        page.get_by_role("button", name="Terminer la session").click()
        expect(page.get_by_text("Session au guichet terminée")).to_be_visible()
        card = page.locator("li.card", has_text=f"Germaine {NAME}")
        card.locator("summary", has_text="Sessions (1)").click()
        expect(card.get_by_text(REASON)).to_be_visible()
        card.locator("summary", has_text="Remettre le compte").click()
        card.get_by_label("Adresse e-mail de la personne").fill(EMAIL)
        card.locator("form[id^=guichet-remise]").get_by_label("Motif (gardé dans le journal)").fill(
            "Son petit-fils lui a installé une messagerie.")
        card.get_by_role("button", name="Remettre le compte").click()
        expect(page.get_by_text(f"Compte remis : {EMAIL}")).to_be_visible()
        shot(page, "mairie-desk-handed-over-360")
    notice = wait_for_mail(mails, EMAIL, "Votre compte vous est remis par la mairie de Serris")
    link = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+", mail_text(notice)).group(0)

    with browsing(browser, live_server, errors) as page:
        page.goto(link)
        boxes = page.locator("input[type=password]")
        assert boxes.count() == 2
        boxes.nth(0).fill("une phrase de passe bien à moi")
        boxes.nth(1).fill("une phrase de passe bien à moi")
        page.get_by_role("button", name="Enregistrer le mot de passe").click()
        expect(page.get_by_text("Votre mot de passe est changé")).to_be_visible()
        login(page, EMAIL, "une phrase de passe bien à moi")
        expect(page.get_by_role("heading", name="Bonjour Germaine")).to_be_visible()
        page.get_by_role("button", name="☰ Menu").click()
        expect(page.get_by_role("link", name="Mes paramètres").first).to_be_visible()
        assert page.get_by_text("Terminer la session").count() == 0  # her own session: nobody acts for her
        shot(page, "desk-resident-signed-in-360")
    assert not errors, errors
