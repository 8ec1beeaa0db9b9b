"""Sign-up in the browser on the demo commune (Serris): the three community cases of
the seeds, and a decision in each validation mode."""
import pytest
from shapely.geometry import Point
from sqlalchemy import select

from vvs_core import geo
from vvs_core.demo import SERRIS
from vvs_core.models import Community, Membership, User
from menu import open_menu
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "trois chats sur le toit"


def home_at(east_m, north_m):
    """A point ``east_m``/``north_m`` metres from the demo commune's centre, as (lon, lat)."""
    centre = geo.to_l93(Point(SERRIS.centre))
    p = geo.from_l93(Point(centre.x + east_m, centre.y + north_m))
    return round(p.x, 6), round(p.y, 6)


def sign_up(page, shot, email, home, name):
    page.goto("/inscription")
    page.get_by_label("Adresse postale").fill("12 rue de Lagny")
    page.get_by_label("Adresse e-mail").fill(email)
    submit(page, "Continuer")
    page.wait_for_selector("#signup-map.leaflet-container")
    # The address was not found (no geocoder here): no marker until the resident places it.
    assert page.locator(".leaflet-marker-icon").count() == 0
    page.locator("details summary").click()
    page.get_by_label("Longitude").fill(str(home[0]))
    page.get_by_label("Latitude").fill(str(home[1]))
    page.get_by_label("Latitude").press("Tab")  # the marker follows the typed coordinates
    page.wait_for_selector(".leaflet-marker-icon")
    page.get_by_role("button", name="↑ Nord").click()  # the buttons move it by a few metres
    page.get_by_role("button", name="↓ Sud").click()
    shot(page, f"signup-{name}-2-carte")
    submit(page, "Valider la position de mon domicile")
    shot(page, f"signup-{name}-3-confirmation")
    submit(page, "Confirmer la position")
    page.get_by_label("Prénom").fill("Benjamin")
    page.get_by_label("Nom", exact=True).fill("Malin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name='password-confirm']").fill(PASSWORD)
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Pseudonyme").fill(f"Benji-{name}")
    page.get_by_label("J'ai lu et j'accepte la charte de bonne conduite").check()
    shot(page, f"signup-{name}-4-formulaire")
    submit(page, "Créer mon compte")
    shot(page, f"signup-{name}-5-communaute")
    assert page.url.endswith("/inscription/communaute"), page.url


def submit(page, label, locator=None):
    with page.expect_navigation():
        (locator or page).get_by_role("button", name=label).click()


def logout(page):
    open_menu(page).get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")


def decide(page, who, accept=True):
    entry = page.locator(".queue-entry", has_text=who)
    if not accept:
        entry.get_by_label("Motif").fill("Adresse introuvable")
    submit(page, "Accepter" if accept else "Refuser", entry)


def status_of(e2e_db, email):
    with e2e_db() as s:
        user = s.scalar(select(User).where(User.email == email))
        m = s.scalar(select(Membership).where(Membership.user_id == user.id))
        community = s.get(Community, m.community_id)
        return community.name, m.role, m.status


def test_case1_inside_le_bourg_then_the_referent_accepts(page, shot, login, e2e_db, mails):
    sign_up(page, shot, "cas1@example.test", home_at(0, 0), "cas1")
    expect(page.get_by_text("Félicitations !")).to_be_visible()
    assert "« Le Bourg »" in page.content() and "voisins vigilants et solidaires" in page.content()
    shot(page, "signup-cas1-5-bienvenue")
    page.get_by_role("link", name="Passez à l'étape suivante").click()
    expect(page.get_by_text("Votre demande d'adhésion a été envoyée au référent")).to_be_visible()
    shot(page, "signup-cas1-6-activation-referent")
    assert status_of(e2e_db, "cas1@example.test") == ("Le Bourg", "member", "pending")
    logout(page)
    login(page, "referent@serris.demo")
    open_menu(page).get_by_role("link", name="Demandes d'adhésion").click()
    shot(page, "validation-referent-file")
    decide(page, "Benjamin Malin")
    expect(page.get_by_text("La demande de Benjamin Malin est acceptée")).to_be_visible()
    assert status_of(e2e_db, "cas1@example.test") == ("Le Bourg", "member", "active")


def test_case2_near_a_community_joins_it_and_the_platform_accepts(page, shot, login, e2e_db):
    sign_up(page, shot, "cas2@example.test", home_at(900, 0), "cas2")
    expect(page.get_by_text("zones rouges")).to_be_visible()
    page.wait_for_selector("path.leaflet-interactive")
    page.locator("path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content")
    shot(page, "signup-cas2-5-communautes-proches")
    page.get_by_role("button", name="Rejoindre Rue Émile Cloud").click()
    expect(page.get_by_text("L'équipe de la plateforme vérifie votre adresse")).to_be_visible()
    logout(page)
    login(page, "admin@serris.demo")
    page.goto("/admin/demandes")
    decide(page, "Rue Émile Cloud", accept=False)
    assert page.get_by_text("Indiquez le motif du refus").count() == 0
    assert status_of(e2e_db, "cas2@example.test") == ("Rue Émile Cloud", "member", "rejected")


def test_case3_far_from_all_creates_a_community(page, shot, login, e2e_db):
    sign_up(page, shot, "cas3@example.test", home_at(0, -2500), "cas3")
    expect(page.get_by_text("Créez la communauté de votre quartier")).to_be_visible()
    page.get_by_role("button", name="Créer la communauté").click()  # empty name: the browser asks first
    page.get_by_label("Nom de la communauté").fill("Hameau de Jossigny")
    page.get_by_role("button", name="Créer la communauté").click()
    shot(page, "signup-cas3-5-referent")
    page.get_by_role("button", name="Oui, je serai référent").click()
    expect(page.get_by_text("La communauté « Hameau de Jossigny » est créée")).to_be_visible()
    shot(page, "signup-cas3-6-activation-plateforme")
    assert status_of(e2e_db, "cas3@example.test") == ("Hameau de Jossigny", "referent", "pending")
    logout(page)
    login(page, "admin@serris.demo")
    page.goto("/admin/demandes")
    shot(page, "validation-plateforme-file")
    decide(page, "Hameau de Jossigny")
    assert status_of(e2e_db, "cas3@example.test") == ("Hameau de Jossigny", "referent", "active")


def test_mairie_mode_without_the_mairie_plugin(page, shot, login, e2e_db):
    # Val d'Europe switches to validation by the mairie; its pending request waits for
    # an agent, and the platform team sees it in its queue and may decide.
    with e2e_db() as s:
        community = s.scalar(select(Community).where(Community.name == "Val d'Europe"))
        community.validation_mode = "mairie"
        demo = s.scalar(select(User).where(User.email == "resident@serris.demo"))
        user = User(email="mairie-cas@example.test", password_hash=demo.password_hash, first_name="Mireille",
                    last_name="Attente", pseudonym="Mireille", mobile="+33639987001",
                    home=Point(home_at(-200, 800)), address_label="3 cours du Danube, 77700 Serris")
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, community_id=community.id, status="pending"))
        s.commit()
    login(page, "mairie-cas@example.test")
    page.goto("/activation")
    expect(page.get_by_text("Votre demande d'adhésion est envoyée directement à votre mairie")).to_be_visible()
    shot(page, "validation-mairie-activation")
    logout(page)
    login(page, "referent2@serris.demo")  # référent of Val d'Europe: no longer decides
    response = page.goto(f"/communaute/{community.id}/demandes")
    assert response.status == 403
    logout(page)
    login(page, "admin@serris.demo")
    page.goto("/admin/demandes")
    entry = page.locator(".queue-entry", has_text="Mireille Attente")
    assert "Mairie" in entry.inner_text()
    decide(page, "Mireille Attente")
    assert status_of(e2e_db, "mairie-cas@example.test") == ("Val d'Europe", "member", "active")
