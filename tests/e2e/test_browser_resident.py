"""Browser journeys of a resident: hiding the mobile number, a référent editing the
boundary (a refused overlap, then an accepted change), closing the account."""
from sqlalchemy import select

from vvs_core.models import Community, User
from vvs_core.phones import display_phone
from playwright.sync_api import expect


def user_by_email(e2e_db, email):
    with e2e_db() as s:
        return s.execute(select(User).where(User.email == email)).scalar_one()


def community_id(e2e_db, name):
    with e2e_db() as s:
        return s.execute(select(Community.id).where(Community.name == name)).scalar_one()


def test_hiding_the_mobile_number(page, browser, live_server, login, shot, e2e_db):
    resident = user_by_email(e2e_db, "resident@serris.demo")
    number = display_phone(resident.mobile)
    bourg = community_id(e2e_db, "Le Bourg")
    login(page, "resident@serris.demo")
    page.goto("/parametres/compte")
    page.get_by_label("Masquer le téléphone portable").check()
    shot(page, "resident-settings-hide-mobile")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/parametres")
    expect(page.get_by_text("masqué pour vos voisins").first).to_be_visible()
    shot(page, "resident-settings-overview")
    # A neighbour's directory no longer carries the number, anywhere in the page.
    context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=live_server)
    neighbour = context.new_page()
    login(neighbour, "referent@serris.demo")
    neighbour.goto(f"/communaute/{bourg}/annuaire")
    assert "Julien Martin" in neighbour.content() and number not in neighbour.content()
    shot(neighbour, "resident-directory-neighbour-view")
    context.close()


def drag(page, box, dx, dy):
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def test_boundary_editing_refused_overlap_then_accepted(page, login, shot, e2e_db):
    bourg = community_id(e2e_db, "Le Bourg")
    login(page, "referent@serris.demo")
    page.goto(f"/communaute/{bourg}/delimitation")
    page.wait_for_selector(".vertex")
    page.locator("#boundary-editor").scroll_into_view_if_needed()  # the mouse acts inside the window
    boxes = [v.bounding_box() for v in page.query_selector_all(".vertex")]
    east = max(boxes, key=lambda b: b["x"])
    drag(page, east, 140, 0)  # into "Rue Émile Cloud"
    shot(page, "resident-boundary-dragged-into-neighbour")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("#boundary-errors")
    assert "chevauche la communauté « Rue Émile Cloud »" in page.inner_text("#boundary-errors")
    shot(page, "resident-boundary-refused")
    # "Recommencer la délimitation", then push the free western edge outwards.
    page.get_by_role("button", name="Recommencer la délimitation").click()
    page.locator("#boundary-editor").scroll_into_view_if_needed()
    mids = [m.bounding_box() for m in page.query_selector_all(".vertex-mid")]
    west_mid = min(mids, key=lambda b: b["x"])
    page.mouse.click(west_mid["x"] + west_mid["width"] / 2, west_mid["y"] + west_mid["height"] / 2)
    page.wait_for_selector(".vertex.selected")
    drag(page, page.query_selector(".vertex.selected").bounding_box(), -35, 0)
    shot(page, "resident-boundary-new-vertex")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"**/communaute/{bourg}")
    assert "La nouvelle délimitation est enregistrée." in page.content()
    page.goto(f"/communaute/{bourg}/historique")
    assert "Délimitation modifiée" in page.content()
    shot(page, "resident-boundary-history")


def test_closing_the_account(page, login, shot, e2e_db):
    bourg = community_id(e2e_db, "Le Bourg")
    # Élodie Fontaine (Le Bourg) is used by no other browser test: closing her
    # account changes nothing they rely on.
    login(page, "elodie.fontaine@serris.demo")
    page.goto("/parametres/fermeture")
    page.get_by_label("Votre mot de passe, pour confirmer").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Fermer définitivement mon compte").click()
    assert "le compte n'est pas fermé" in page.content()
    shot(page, "resident-close-wrong-password")
    from vvs_core.testing import DEMO_PASSWORD

    page.get_by_label("Votre mot de passe, pour confirmer").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Fermer définitivement mon compte").click()
    page.wait_for_url("**/connexion")
    assert "Votre compte est fermé" in page.content()
    shot(page, "resident-closed")
    login(page, "elodie.fontaine@serris.demo")
    assert "incorrect" in page.content()
    login(page, "referent@serris.demo")
    page.goto(f"/communaute/{bourg}/historique")
    assert "Départ d'un voisin : ancien membre" in page.content()
    assert "Fontaine" not in page.content()
