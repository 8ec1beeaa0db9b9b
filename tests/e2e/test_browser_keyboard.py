"""The map forms with the keyboard alone, in Chromium: placing the home at sign-up,
drawing the boundary of a community (its creator, while it waits for validation),
drawing the zone of a commune alert. No mouse event once the form is open: Tab,
Shift+Tab, arrow keys, Entrée, typed text."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from shapely.geometry import Point
from sqlalchemy import select

from journey import choose_serris
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from vvs_core import geo
from vvs_demo.loader import SERRIS
from vvs_core.models import Community, Membership, User
from vvs_core.testing import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.keyboard]


def tab_to(page, selector: str, backwards: bool = False, limit: int = 120):
    """Press Tab (Shift+Tab) until the focused element matches ``selector``."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus with {key}")


def pan(page, key):
    """Press an arrow key on the focused map and wait for it to have moved (Leaflet
    ignores a key pressed while the previous move is still running)."""
    before = page.evaluate("window.vvsMairieArea.map.getCenter()")
    page.keyboard.press(key)
    page.wait_for_function("c => { const n = window.vvsMairieArea.map.getCenter(); "
                           "return (n.lat !== c.lat || n.lng !== c.lng) && !window.vvsMairieArea.map._panAnim._inProgress; }",
                           arg=before)


def metres_from_centre(east_m, north_m):
    centre = geo.to_l93(Point(SERRIS.centre))
    p = geo.from_l93(Point(centre.x + east_m, centre.y + north_m))
    return round(p.x, 6), round(p.y, 6)


def test_place_the_home_at_sign_up_with_the_keyboard(page, shot):
    """Inscription : placer son domicile sur la carte au clavier (déplacer la carte, « Placer le marqueur au centre », boutons Nord/Est)."""
    page.goto("/inscription")
    choose_serris(page)  # asked when another browser test added a commune
    page.get_by_label("Adresse postale").fill("3 allée des Frênes")
    page.get_by_label("Adresse e-mail").fill("clavier.seul@example.test")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/inscription/position")
    assert page.locator(".leaflet-marker-icon").count() == 0  # nothing placed for the resident
    tab_to(page, "#signup-map")
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # the map moves: its centre goes south
    tab_to(page, "#place-centre")
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("#signup-map-live")).to_have_text("Marqueur placé.")
    lat_after_pan = float(page.locator("#lat").input_value())
    lon_after_pan = float(page.locator("#lon").input_value())
    assert lat_after_pan < SERRIS.centre[1]
    tab_to(page, "[data-nudge=e]")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert wait_for(lambda: float(page.locator("#lon").input_value()) > lon_after_pan), page.locator("#lon").input_value()
    shot(page, "keyboard-signup-home")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inscription/confirmation")
    expect(page.get_by_text("Vous n'avez pas déplacé le marqueur")).to_have_count(0)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inscription/compte")


@pytest.fixture
def waiting_creator(e2e_db):
    """A resident who created « Lotissement des Érables » 3 km east of the centre, waiting for the platform."""
    from vvs_core.communities.events import record_event
    from vvs_core.geo import square_around

    email = "createur.clavier@example.test"
    home = metres_from_centre(3000, 300)
    with e2e_db() as s:
        demo = s.scalar(select(User).where(User.email == "resident@serris.demo"))
        user = User(email=email, password_hash=demo.password_hash, first_name="Noémie", last_name="Lefèvre",
                    pseudonym="Noémie", mobile="+33639987042", home=Point(home), address_label="1 rue des Érables")
        s.add(user)
        community = Community(commune_id=s.scalar(select(Community.commune_id).limit(1)), name="Lotissement des Érables",
                              boundary=square_around(home, 250), validation_mode="platform")
        s.add(community)
        s.flush()
        record_event(s, "community_created", community=community, actor=user, data={"name": community.name})
        s.add(Membership(user_id=user.id, community_id=community.id, role="referent", status="pending"))
        s.commit()
        return email, community.id


def test_draw_a_community_boundary_with_the_keyboard(page, login, shot, e2e_db, waiting_creator):
    """Délimitation au clavier par le créateur d'une communauté en attente : déplacer un sommet aux flèches, ajouter un sommet au centre de la carte, saisir des coordonnées."""
    email, community_id = waiting_creator
    with e2e_db() as s:
        first_before = list(s.get(Community, community_id).boundary.exterior.coords)[0]
    login(page, email)
    page.goto("/activation")
    tab_to(page, "a[href$='/delimitation']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/communaute/{community_id}/delimitation")
    expect(page.locator("#boundary-status")).to_contain_text("4 sommets")
    # A point: Tab reaches it, Shift+arrows move it 25 m a press.
    tab_to(page, ".vertex")
    first = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert first.startswith("Sommet 1")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    expect(page.locator("#boundary-live")).to_have_text("Sommet 1 déplacé.")
    # A new point: move the map with its arrow keys, then "Ajouter un sommet au centre de la carte".
    tab_to(page, "#boundary-editor", backwards=True)
    page.keyboard.press("ArrowUp")
    tab_to(page, "#boundary-add")
    page.keyboard.press("Enter")
    expect(page.locator("#boundary-status")).to_contain_text("5 sommets")
    # Typed coordinates: the list of points (a <details>, opened with Entrée).
    tab_to(page, "#boundary-points-box summary")
    page.keyboard.press("Enter")
    tab_to(page, "#boundary-points-3-lat")
    typed_lat = float(page.locator("#boundary-points-3-lat").input_value().replace(",", ".")) - 0.0002
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{typed_lat:.6f}".replace(".", ","))
    page.keyboard.press("Tab")
    expect(page.locator("#boundary-live")).to_have_text("Sommet 3 déplacé.")
    shot(page, "keyboard-boundary")
    tab_to(page, "#boundary-save")
    page.keyboard.press("Enter")
    page.wait_for_url("**/activation")
    expect(page.get_by_text("La nouvelle délimitation est enregistrée.")).to_be_visible()
    with e2e_db() as s:
        ring = list(s.get(Community, community_id).boundary.exterior.coords)[:-1]
    assert len(ring) == 5
    assert any(abs(lat - typed_lat) < 1e-6 for _lon, lat in ring)
    # the first point went 50 m (two Shift+ArrowLeft) west
    west = geo.from_l93(Point(geo.to_l93(Point(first_before)).x - 50, geo.to_l93(Point(first_before)).y))
    assert any(abs(lon - west.x) < 2e-5 and abs(lat - west.y) < 2e-5 for lon, lat in ring), (first_before, ring)


def test_draw_a_commune_alert_zone_with_the_keyboard(page, login, shot, demo_agent, e2e_db):
    """Mairie : dessiner la zone d'une alerte au clavier (trois sommets placés au centre de la carte), estimer la portée puis envoyer."""
    enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
    page.goto("/mairie/77449/alertes/nouvelle")
    # Sent empty (as a browser without form validation would): the summary names each field once.
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
    with page.expect_navigation():
        page.locator("#estimate-button").click()
    summary = page.locator(".error-summary a")
    expect(summary.first).to_be_visible()
    names = summary.all_inner_texts()
    assert "Catégorie" in names and "Titre (repris dans le SMS)" in names, names
    assert len(names) == len(set(names)), names
    assert page.locator(".error-summary a", has_text="Titre").get_attribute("href") == "#title"
    page.get_by_label("Catégorie").select_option("travaux")
    page.get_by_label("Titre (repris dans le SMS)").fill("Coupure d'eau rue de l'Église, 9 h – 12 h")
    page.get_by_label("Message").fill("Les équipes interviennent sur la canalisation ; prévoyez de l'eau en bouteille.")
    radio = page.get_by_label("Une zone dessinée sur la carte")
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    # Around the town centre: south-west, south-east, then north (Shift+arrow: a long move).
    moves = [["Shift+ArrowLeft", "Shift+ArrowDown"], ["Shift+ArrowRight", "Shift+ArrowRight"],
             ["Shift+ArrowLeft", "Shift+ArrowUp", "Shift+ArrowUp"]]
    for n, keys in enumerate(moves, start=1):
        tab_to(page, "#area-map", backwards=n > 1)
        for key in keys:
            pan(page, key)
        tab_to(page, "#area-add")
        page.keyboard.press("Enter")
        expect(page.locator("#area-count")).to_contain_text(f"{n} sommet")
    expect(page.locator("#area-count")).to_have_text("3 sommets placés")
    shot(page, "keyboard-mairie-zone")
    tab_to(page, "#estimate-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error").all_inner_texts() == []
    assert re.search(r"environ [1-9]\d* foyers?", page.locator(".reach-estimate").inner_text())
    tab_to(page, "#send-button", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
    from vvs_mairie.models import MairieAlert

    with e2e_db() as s:
        alert = s.scalar(select(MairieAlert).order_by(MairieAlert.id.desc()).limit(1))
        assert alert.title.startswith("Coupure d'eau") and alert.target == "area"
        assert len(alert.area.exterior.coords) == 4  # three points and the closing one
