"""DÉLIMITATION, as the seeds tell it: « Vous pouvez déplacer les points blancs sur la
carte afin de modifier la taille et l'emplacement de votre communauté. Il est toujours
possible d'annuler vos changements et de recommencer votre délimitation en cliquant sur
le bouton « Recommencer la délimitation » » (référent only).

On a 360 px phone, Claire (référente du Bourg) drags a point into the neighbouring
community: refused, in French; she starts again, adds a point on the free western edge
and pushes it out: saved, and the history says so at the hour she saved, in Paris.
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from journey import ActionTime, Hours
from vvs_core.models import Community

pytestmark = pytest.mark.browser


def drag(page, box, dx, dy):
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def test_claire_redraws_le_bourg(phone, login, shot, e2e_db):
    hours = Hours()
    with e2e_db() as s:
        bourg = s.scalar(select(Community.id).where(Community.name == "Le Bourg"))
    login(phone, "referent@serris.demo")
    phone.get_by_role("link", name="Le Bourg", exact=True).first.click()
    phone.get_by_role("link", name="Modifier la délimitation").click()
    editor = phone.get_by_role("region", name="Carte : délimitation de la communauté « Le Bourg »")
    expect(editor.locator(".vertex").first).to_be_visible()
    editor.scroll_into_view_if_needed()  # the finger acts inside the screen
    boxes = [v.bounding_box() for v in editor.locator(".vertex").all()]
    east = max(boxes, key=lambda b: b["x"])
    drag(phone, east, min(140, 355 - east["x"]), 0)  # into « Rue Émile Cloud »
    shot(phone, "journey-delimitation-1-chevauchement")
    phone.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_text("chevauche la communauté « Rue Émile Cloud »")).to_be_visible()
    shot(phone, "journey-delimitation-2-refus")

    phone.get_by_role("button", name="Recommencer la délimitation").click()
    editor.scroll_into_view_if_needed()
    mids = [m.bounding_box() for m in editor.locator(".vertex-mid").all()]
    west_mid = min(mids, key=lambda b: b["x"])
    phone.mouse.click(west_mid["x"] + west_mid["width"] / 2, west_mid["y"] + west_mid["height"] / 2)
    expect(editor.locator(".vertex.selected")).to_be_visible()
    drag(phone, editor.locator(".vertex.selected").bounding_box(), -30, 0)
    shot(phone, "journey-delimitation-3-nouveau-point")
    with ActionTime() as saved:
        phone.get_by_role("button", name="Enregistrer").click()
        phone.wait_for_url(f"**/communaute/{bourg}")
    expect(phone.get_by_text("La nouvelle délimitation est enregistrée.")).to_be_visible()
    with phone.expect_navigation():  # the history, not the community page's « Mouvements » still there
        phone.get_by_role("link", name="Historique", exact=True).click()
    row = phone.get_by_role("row").filter(has_text="Délimitation modifiée").first
    hours.check(row.inner_text(), saved, "historique : délimitation modifiée")
    shot(phone, "journey-delimitation-4-historique")
    hours.verify()
