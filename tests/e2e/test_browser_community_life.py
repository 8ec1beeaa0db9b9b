"""Browser journeys of community life: the gazette and the messagerie."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from vvs_core.models import Community
from menu import open_menu
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESIDENT = "resident@serris.demo"        # Julien Martin, Le Bourg
NEIGHBOUR = "monique.lefevre@serris.demo"
REFERENT = "referent@serris.demo"        # Claire Dubois, référente du Bourg


def community_id(e2e_db, name="Le Bourg") -> int:
    with e2e_db() as session:
        return session.scalar(sa.select(Community.id).where(Community.name == name))


def logout(page):
    open_menu(page).get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


def test_gazette_post_reply_report_and_moderate(page, login, shot, e2e_db):
    bourg = community_id(e2e_db)
    login(page, RESIDENT)
    open_menu(page).get_by_role("link", name="La Gazette").first.click()
    page.get_by_role("link", name="Ajouter une information").click()
    page.get_by_label("Rubrique").select_option("evenement")
    page.get_by_label("Titre").fill("Fête des voisins du Bourg")
    page.get_by_label("Texte").fill("Rendez-vous place Antoine Mauny, chacun apporte un plat.")
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Indiquez la date et l'heure de l'événement.")).to_be_visible()
    shot(page, "gazette-form-error")
    page.get_by_label("Date de l'événement").fill("2031-06-20T19:00")
    page.get_by_role("button", name="Publier").click()
    page.get_by_role("heading", name="Fête des voisins du Bourg").wait_for()
    expect(page.get_by_text("Le 20/06/2031 à 19:00").first).to_be_visible()
    post_url = page.url
    logout(page)

    login(page, NEIGHBOUR)
    page.goto(f"/gazette/communaute/{bourg}")
    shot(page, "gazette-list")
    page.get_by_role("link", name="Fête des voisins du Bourg").click()
    page.get_by_label("Votre réponse").fill("Je viendrai avec une tarte aux pommes !")
    page.get_by_role("button", name="Répondre").click()
    page.get_by_text("Je viendrai avec une tarte aux pommes !").wait_for()
    page.get_by_role("link", name="Signaler", exact=True).click()
    page.get_by_label("Pourquoi signalez-vous ce contenu ?").fill("Test de signalement")
    page.get_by_role("button", name="Signaler").click()
    page.get_by_text("votre signalement est transmis").wait_for()
    shot(page, "gazette-post-with-reply")
    logout(page)

    login(page, REFERENT)
    page.goto(f"/gazette/communaute/{bourg}/moderation")
    expect(page.get_by_text("Test de signalement")).to_be_visible()
    shot(page, "gazette-moderation")
    page.get_by_label("Motif de la décision").fill("Doublon")
    page.get_by_role("button", name="Masquer", exact=True).click()
    page.get_by_text("Contenu masqué.").wait_for()
    page.goto(post_url)
    expect(page.get_by_text("Masqué par la modération")).to_be_visible()
    page.get_by_role("button", name="Rétablir l'annonce").click()
    page.get_by_text("Contenu rétabli.").wait_for()


def test_conversation_between_two_neighbours(page, login, shot):
    login(page, RESIDENT)
    open_menu(page).get_by_role("link", name="Messagerie").click()
    page.get_by_role("link", name="Nouveau message").click()
    page.get_by_label("Monique L.").check()
    page.get_by_label("Sujet (facultatif)").fill("Absence la semaine prochaine")
    page.get_by_role("textbox", name="Message").fill("Bonjour Monique, pourriez-vous jeter un œil à la maison ?")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("pourriez-vous jeter un œil").wait_for()
    logout(page)

    login(page, NEIGHBOUR)
    badge = page.locator(".menu .badge")
    assert badge.inner_text().strip() == "1"
    shot(page, "messaging-unread-badge")
    open_menu(page).get_by_role("link", name="Messagerie").click()
    page.get_by_role("link", name="Absence la semaine prochaine").click()
    page.get_by_role("textbox", name="Message").fill("Avec plaisir, bonnes vacances !")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("Avec plaisir, bonnes vacances !").wait_for()
    assert page.locator(".menu .badge").count() == 0
    shot(page, "messaging-conversation")
