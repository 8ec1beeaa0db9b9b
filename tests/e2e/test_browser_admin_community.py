"""The platform team creates a community, then corrects its name and its boundary, on a
360 px phone, the forms filled with the keyboard alone (the map too: a vertex moved with
the arrow keys, coordinates typed in the list of points). A self-crossing drawing and a
one-letter name are refused in French and create nothing; the page never scrolls sideways."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from test_browser_keyboard import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.keyboard]

ADMIN = "admin@serris.demo"
NAME = "Quartier de l’Église – Les Œillets"
RENAMED = "Les Œillets « Nord » de l’Église"
REASON = "Demande de la mairie du 3 décembre — « quartier de l’église » 🔔"


def no_sideways_scroll(pg):
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def type_into(pg, selector: str, text: str):
    tab_to(pg, selector)
    pg.keyboard.press("Control+A")
    pg.keyboard.type(text)


def vertex(pg, n: int) -> tuple[str, str]:
    return (pg.locator(f"#boundary-points-{n}-lat").input_value(), pg.locator(f"#boundary-points-{n}-lng").input_value())


def community_named(e2e_db, name):
    from vvs_core.models import Community

    with e2e_db() as s:
        return s.scalar(select(Community).where(Community.name == name))


def test_create_then_edit_a_community_with_the_keyboard(phone, login, shot, e2e_db):
    """Création puis modification d'une communauté par l'équipe, au clavier : champs, sommet déplacé aux flèches, coordonnées saisies."""
    from vvs_core import geo
    from vvs_core.models import CommunityEvent

    pg = phone
    login(pg, ADMIN)
    pg.goto("/admin/communes/77449")
    tab_to(pg, "a[href*='/admin/communautes/nouvelle']")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/admin/communautes/nouvelle?commune=*")
    expect(pg.locator("#boundary-status")).to_contain_text("4 sommets")
    no_sideways_scroll(pg)
    shot(pg, "admin-community-new-360")

    # a one-letter name and a self-crossing outline (vertices 1 and 2 swapped, typed in the list)
    type_into(pg, "[name=name]", "Œ")
    type_into(pg, "[name=reason]", REASON)
    tab_to(pg, "#boundary-points-box summary")
    pg.keyboard.press("Enter")
    first, second = vertex(pg, 1), vertex(pg, 2)
    for n, (lat, lng) in ((1, second), (2, first)):
        type_into(pg, f"#boundary-points-{n}-lat", lat)
        type_into(pg, f"#boundary-points-{n}-lng", lng)
        pg.keyboard.press("Tab")
    expect(pg.locator("#boundary-live")).to_have_text("Sommet 2 déplacé.")
    tab_to(pg, "#boundary-formsubmit")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    expect(pg.locator("#boundary-errors")).to_contain_text("se croise elle-même")
    expect(pg.locator(".error-summary")).to_contain_text("Nom de la communauté")
    expect(pg.get_by_text("3 caractères au moins")).to_be_visible()
    assert community_named(e2e_db, NAME) is None
    no_sideways_scroll(pg)
    shot(pg, "admin-community-refused-360")

    # the name typed, the outline started again, a vertex moved with Shift+arrows
    type_into(pg, "[name=name]", NAME)
    type_into(pg, "[name=description]", "Autour de l’église, rue des Œillets.")
    tab_to(pg, "#boundary-reset")
    pg.keyboard.press("Enter")
    tab_to(pg, ".vertex")
    pg.keyboard.press("Shift+ArrowUp")
    expect(pg.locator("#boundary-live")).to_have_text("Sommet 1 déplacé.")
    tab_to(pg, "#boundary-formsubmit")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/admin/communes/77449#communaute-*")
    expect(pg.locator(".flash").first).to_contain_text(f"La communauté « {NAME} » est créée")
    created = community_named(e2e_db, NAME)
    assert created is not None and created.description == "Autour de l’église, rue des Œillets."
    assert geo.validate_polygon(created.boundary) is None
    no_sideways_scroll(pg)
    shot(pg, "admin-community-created-360")

    # the edit: renamed, a vertex's latitude typed, the reason, saved
    tab_to(pg, f"a[href='/admin/communautes/{created.id}/modifier']")
    pg.keyboard.press("Enter")
    pg.wait_for_url(f"**/admin/communautes/{created.id}/modifier")
    expect(pg.locator("#boundary-status")).to_contain_text("ha")
    type_into(pg, "[name=name]", RENAMED)
    type_into(pg, "[name=reason]", REASON)
    tab_to(pg, "#boundary-points-box summary")
    pg.keyboard.press("Enter")
    (lat3, _lng3), (lat2, _lng2) = vertex(pg, 3), vertex(pg, 2)
    inward = (float(lat3.replace(",", ".")) * 3 + float(lat2.replace(",", "."))) / 4  # a quarter toward vertex 2
    type_into(pg, "#boundary-points-3-lat", f"{inward:.6f}".replace(".", ","))
    pg.keyboard.press("Tab")
    expect(pg.locator("#boundary-live")).to_have_text("Sommet 3 déplacé.")
    no_sideways_scroll(pg)
    shot(pg, "admin-community-edit-360")
    tab_to(pg, "#boundary-formsubmit")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/admin/communes/77449#communaute-*")
    expect(pg.locator(".flash").first).to_contain_text(f"« {RENAMED} » est enregistrée (nom, délimitation)")
    with e2e_db() as s:
        from vvs_core.models import Community

        edited = s.get(Community, created.id)
        assert edited.name == RENAMED and not edited.boundary.equals(created.boundary)
        audit = s.scalar(select(CommunityEvent).where(CommunityEvent.community_id == created.id,
                                                      CommunityEvent.kind == "admin_community_edited"))
        assert audit.data["reason"] == REASON and audit.data["changement"].startswith(f"nom : « {NAME} » → ")


HOMONYMS = [("93066", "Saint-Denis", ["93200", "93210"], (2.3581, 48.9362)),
            ("97411", "Saint-Denis", ["97400", "97490"], (55.4481, -20.8789)),
            ("93039", "L'Île-Saint-Denis", ["93450"], (2.3377, 48.9394)),
            ("42218", "Saint-Étienne", ["42000", "42100"], (4.3872, 45.4397))]


@pytest.fixture
def homonyms(e2e_db):
    """Communes the demo lacks, taken away after the test (meanwhile the sign-up asks for the commune first)."""
    from shapely.geometry import Point

    from vvs_core.models import Commune

    with e2e_db() as s:
        s.add_all([Commune(insee=insee, name=name, postcodes=codes, centre=Point(*centre))
                   for insee, name, codes, centre in HOMONYMS])
        s.commit()
    yield
    with e2e_db() as s:
        s.execute(Commune.__table__.delete().where(Commune.insee.in_([insee for insee, *_ in HOMONYMS])))
        s.commit()


def test_the_commune_is_searched_and_chosen_with_the_keyboard(phone, login, shot, homonyms):
    """« Nouvelle communauté » : la commune cherchée par son nom sans accents, les homonymes distingués, choisie au clavier."""
    pg = phone
    login(pg, ADMIN)
    pg.goto("/admin/communautes/nouvelle")
    expect(pg.get_by_role("heading", name="Dans quelle commune ?")).to_be_visible()
    type_into(pg, "#commune-q", "saint denis")  # the list follows the typing
    matches = pg.locator("#commune-matches a")
    expect(matches).to_have_count(3)
    expect(matches.first).to_contain_text("Saint-Denis (93) — 93200, 93210 · INSEE 93066")
    expect(matches.nth(1)).to_contain_text("Saint-Denis (974) — 97400, 97490")
    expect(matches.nth(2)).to_contain_text("L'Île-Saint-Denis (93)")
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("ArrowDown")
    assert "(974)" in pg.evaluate("document.activeElement.textContent")
    pg.keyboard.press("Escape")
    assert pg.evaluate("document.activeElement.id") == "commune-q"
    no_sideways_scroll(pg)
    shot(pg, "admin-community-commune-search-360")

    type_into(pg, "#commune-q", "Trifouilly-les-Oies")
    expect(pg.get_by_role("status")).to_contain_text("Aucune commune ne correspond à « Trifouilly-les-Oies »")
    type_into(pg, "#commune-q", "st etienne")
    pg.keyboard.press("Enter")  # the button's search, as without JavaScript
    pg.wait_for_url("**/admin/communautes/nouvelle?q=st+etienne")
    tab_to(pg, "#commune-matches a")
    assert "Saint-Étienne (42)" in pg.evaluate("document.activeElement.textContent")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/admin/communautes/nouvelle?commune=*")
    expect(pg.locator(".chosen-commune")).to_contain_text("Commune : Saint-Étienne (42) — 42000, 42100 · INSEE 42218")
    expect(pg.locator("#boundary-status")).to_contain_text("4 sommets")
    expect(pg.get_by_role("link", name="Changer de commune")).to_be_visible()
    no_sideways_scroll(pg)
    shot(pg, "admin-community-commune-chosen-360")


def test_the_commune_search_works_without_javascript(browser, live_server, login, homonyms):
    """Sans JavaScript, le bouton « Chercher » montre les communes trouvées, choisies au clavier."""
    from phones import browsing

    with browsing(browser, live_server, viewport={"width": 360, "height": 740}, java_script_enabled=False) as pg:
        login(pg, ADMIN)
        pg.goto("/admin/communautes/nouvelle")
        type_into(pg, "#commune-q", "ILE ST DENIS")
        pg.keyboard.press("Enter")
        pg.wait_for_url("**/admin/communautes/nouvelle?q=ILE+ST+DENIS")
        expect(pg.locator("#commune-matches a")).to_have_count(1)
        tab_to(pg, "#commune-matches a")
        pg.keyboard.press("Enter")
        pg.wait_for_url("**/admin/communautes/nouvelle?commune=*")
        expect(pg.locator(".chosen-commune")).to_contain_text("L'Île-Saint-Denis (93) — 93450")
