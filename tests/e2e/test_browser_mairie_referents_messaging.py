"""Browser, at 360 px, as the mairie's agent: naming a référent of one of the commune's
communities (the person is told by e-mail, and becomes référent at once), then removing
them; writing to a resident through the messaging, who reads the e-mail notice, opens
the message and answers."""
from __future__ import annotations

import re

import pytest
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import browsing
from playwright.sync_api import expect

from mail_wait import wait_for_mail

from vvs_core.testing import mail_text

pytestmark = pytest.mark.browser
APPOINTED = "olivier.blanc@serris.demo"     # Quartier du Parc; in no other browser test
WRITTEN_TO = "antoine.gauthier@serris.demo"  # Quartier du Parc; in no other browser test
REASON = "Proposé par la police municipale : connaît « tout » le quartier, disponible le soir 👍"
MESSAGE = ("Bonjour M. Gauthier, la police municipale passera rue du Parc ce soir vers 22 h à la suite "
           "de votre signalement « voiture suspecte ». N’hésitez pas à répondre ici 🚓")


def test_an_agent_names_a_referent_who_is_told_then_removes_them(browser, live_server, login, shot, demo_agent,
                                                                e2e_db, mails):
    errors = []
    with browsing(browser, live_server, errors) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.get_by_role("link", name="Référents").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Référents des communautés de Serris")
        page.get_by_role("link", name="Quartier du Parc").click()
        expect(page.get_by_text("Aucun référent : les demandes d'adhésion vont à l'équipe de la plateforme")).to_be_visible()
        page.get_by_label("Membre de la communauté").select_option(label="Olivier Blanc")
        page.get_by_label("Motif (facultatif, envoyé à la personne)").fill(REASON)
        shot(page, "mairie-referent-appoint-360")
        page.get_by_role("button", name="Nommer référent").click()
        expect(page.get_by_text("Olivier Blanc est désormais référent de Quartier du Parc ; un e-mail l'en informe."))\
            .to_be_visible()
        expect(page.locator("#h-actuels + ul")).to_contain_text("Olivier Blanc")
        shot(page, "mairie-referent-appointed-360")
    message = wait_for_mail(mails, APPOINTED, "Vous êtes référent de Quartier du Parc")
    assert REASON in mail_text(message) and "La mairie vous a nommé référent" in mail_text(message)

    # the new référent has the référent's tools at once
    with browsing(browser, live_server) as page:
        login(page, APPOINTED)
        link = re.search(r"https?://\S+/communaute/\d+/referent", mail_text(message)).group(0)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Rôle et outils du référent")
        shot(page, "new-referent-tools-360")

    # removed again (a reason is required), so that the demo stays as it was
    with browsing(browser, live_server) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.goto(f"/mairie/77449/referents/{_community_id(e2e_db, 'Quartier du Parc')}")
        item = page.locator(".activity-item", has_text="Olivier Blanc")
        item.get_by_label("Motif du retrait").fill("Déménagement à Lyon, merci pour tout !")
        item.get_by_role("button", name="Retirer le rôle de référent").click()
        expect(page.get_by_text("Olivier Blanc n'est plus référent de Quartier du Parc")).to_be_visible()
    assert not errors, errors
    wait_for_mail(mails, APPOINTED, "Vous n'êtes plus référent de Quartier du Parc", "Déménagement à Lyon")


def _community_id(e2e_db, name):
    from sqlalchemy import select

    from vvs_core.models import Community

    with e2e_db() as s:
        return s.scalar(select(Community.id).where(Community.name == name))


def test_an_agent_writes_to_a_resident_who_answers(browser, live_server, login, shot, demo_agent, e2e_db, mails):
    errors = []
    with browsing(browser, live_server, errors) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.goto("/messagerie/nouveau")
        page.get_by_label("Antoine G.").check()
        page.get_by_label("Sujet (facultatif)").fill("Passage de la police municipale")
        page.get_by_role("textbox", name="Message").fill(MESSAGE)
        shot(page, "mairie-message-new-360")
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_text("Message envoyé.")).to_be_visible()
        expect(page.get_by_text("N’hésitez pas à répondre ici 🚓")).to_be_visible()
    notice = wait_for_mail(mails, WRITTEN_TO, "Nouveau message sur la messagerie",
                           "Mairie de Serris — Agnès M. vous a écrit")
    link = re.search(r"https?://\S+/messagerie/conversation/\d+", mail_text(notice)).group(0)

    with browsing(browser, live_server, errors) as page:
        login(page, WRITTEN_TO)
        page.goto(link)
        expect(page.get_by_text("la police municipale passera rue du Parc ce soir")).to_be_visible()
        expect(page.get_by_text("Mairie de Serris — Agnès M.").first).to_be_visible()  # the town hall's name first
        page.get_by_role("textbox", name="Message").fill("Merci beaucoup, c’est rassurant ! La voiture est repartie à 21 h.")
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_text("La voiture est repartie à 21 h.")).to_be_visible()
        shot(page, "resident-answers-the-mairie-360")
    assert not errors, errors
