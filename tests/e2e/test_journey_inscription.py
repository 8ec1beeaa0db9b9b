"""INSCRIPTION, as the seeds tell it (« Comment rejoindre le dispositif ? », « Comment
rejoindre une communauté ? »), on a 360 px phone in the demo commune (Serris):

- cas 1, adhésion automatique: the home is inside « Le Bourg »; the resident follows the
  confirmation link of the e-mail;
- cas 2, a community nearby: the red zones, the list of the commune's communities,
  « Rejoindre »;
- cas 3, no community around: the resident creates one and becomes its référent;
- and a home placed outside the commune is refused with a French message.
(What happens next, the validation of the account: test_journey_activation.py.)
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from journey import choose_serris, home_at, links, mail_to, sign_up, submit
from test_browser_admin_community import homonyms, no_sideways_scroll, type_into  # noqa: F401  (homonyms: the fixture)
from test_browser_keyboard import tab_to
from vvs_core.models import Community, Membership, User

pytestmark = pytest.mark.browser


def status_of(e2e_db, email):
    with e2e_db() as s:
        user = s.scalar(select(User).where(User.email == email))
        m = s.scalar(select(Membership).where(Membership.user_id == user.id))
        return s.get(Community, m.community_id).name, m.role, m.status


def test_cas1_the_home_is_inside_le_bourg_and_the_email_link_confirms_the_address(phone, shot, e2e_db, mails):
    email = "benoit.lefevre@example.test"
    sign_up(phone, email, home_at(0, 0), "Benoît", "Lefèvre-Nœl", "Benoît du lavoir",
            address="3 bis rue de l’Église", shot=shot, name="cas1")
    expect(phone.get_by_text("Félicitations !")).to_be_visible()
    expect(phone.get_by_text("« Le Bourg »").first).to_be_visible()
    expect(phone.get_by_text("Un lien de confirmation vient d'être envoyé")).to_be_visible()
    shot(phone, "journey-inscription-cas1-3-bienvenue")
    assert status_of(e2e_db, email) == ("Le Bourg", "member", "pending")

    mail = mail_to(mails, email, "/inscription/confirmer/")
    confirm = [u for u in links(mail) if "/inscription/confirmer/" in u]
    assert confirm and confirm[0].startswith(phone.url.split("/inscription")[0]), links(mail)
    phone.goto(confirm[0])
    expect(phone.get_by_text("Votre adresse e-mail est confirmée. Merci !")).to_be_visible()
    shot(phone, "journey-inscription-cas1-4-adresse-confirmee")
    with e2e_db() as s:
        assert s.scalar(select(User.email_confirmed_at).where(User.email == email)) is not None
    phone.goto("/inscription/communaute")
    phone.get_by_role("link", name="Passez à l'étape suivante").click()
    expect(phone.get_by_text("Votre demande d'adhésion a été envoyée au référent")).to_be_visible()


def test_cas2_near_a_community_the_resident_chooses_it_in_the_list(phone, shot, e2e_db):
    email = "francoise.dhautefeuille@example.test"
    sign_up(phone, email, home_at(900, 0), "Françoise", "d’Hautefeuille", "Françoise", shot=shot, name="cas2",
            address="41 boulevard Robert-Thiboust")
    expect(phone.get_by_text("zones rouges")).to_be_visible()
    communities = phone.get_by_role("region", name="Carte des communautés proches de votre domicile")
    expect(communities.locator("path.leaflet-interactive").first).to_be_visible()
    communities.locator("path.leaflet-interactive").first.click(force=True)  # a red zone says its name
    expect(communities.locator(".leaflet-popup-content")).to_be_visible()
    shot(phone, "journey-inscription-cas2-3-communautes-proches")
    submit(phone, "Rejoindre Rue Émile Cloud")
    expect(phone.get_by_text("L'équipe de la plateforme vérifie votre adresse")).to_be_visible()
    assert status_of(e2e_db, email) == ("Rue Émile Cloud", "member", "pending")


def test_cas3_no_community_around_the_resident_creates_one_and_becomes_its_referent(phone, shot, e2e_db):
    email = "jerome.lecoeur@example.test"
    name = "Lotissement de l’Orée du Bois – allée des Frênes"
    sign_up(phone, email, home_at(0, -2500), "Jérôme", "Lecœur", "Jérôme", shot=shot, name="cas3",
            address="7 allée des Frênes")
    expect(phone.get_by_text("Créez la communauté de votre quartier")).to_be_visible()
    phone.get_by_role("button", name="Créer la communauté").click()  # no name yet: the browser asks for one
    assert phone.get_by_label("Nom de la communauté").evaluate("field => field.validity.valueMissing")
    phone.get_by_label("Nom de la communauté").fill(name)
    submit(phone, "Créer la communauté")
    shot(phone, "journey-inscription-cas3-3-referent")
    submit(phone, "Oui, je serai référent")
    expect(phone.get_by_text(f"La communauté « {name} » est créée")).to_be_visible()
    shot(phone, "journey-inscription-cas3-4-activation")
    assert status_of(e2e_db, email) == (name, "referent", "pending")


def test_a_home_outside_the_commune_is_refused_in_french(phone, shot, e2e_db):
    phone.goto("/inscription")
    choose_serris(phone)
    phone.get_by_label("Adresse postale").fill("1 place de l’Hôtel de Ville, Meaux")
    phone.get_by_label("Adresse e-mail").fill("hors.commune@example.test")
    submit(phone, "Continuer")
    phone.get_by_text("Coordonnées du marqueur").click()
    phone.get_by_label("Longitude").fill("2.878")  # Meaux, 20 km away
    phone.get_by_label("Latitude").fill("48.960")
    phone.get_by_label("Latitude").press("Tab")
    phone.get_by_role("button", name="Valider la position de mon domicile").click()
    expect(phone.get_by_text(re.compile("Cette position est (hors de la commune de|trop loin de) Serris"))).to_be_visible()
    shot(phone, "journey-inscription-hors-commune")
    with e2e_db() as s:
        assert s.scalar(select(User).where(User.email == "hors.commune@example.test")) is None


def test_the_commune_is_searched_with_the_keyboard_homonyms_told_apart(phone, shot, homonyms, e2e_db):
    """Inscription sur un site de plusieurs communes : la commune cherchée sans accents au clavier, les
    homonymes distingués (département, codes postaux), puis l'adresse ; une commune inconnue ne crée rien."""
    pg = phone
    pg.goto("/inscription")
    expect(pg.get_by_role("heading", name="Dans quelle commune habitez-vous ?")).to_be_visible()
    assert pg.locator("select").count() == 0
    type_into(pg, "#commune-q", "saint denis")  # the list follows the typing
    matches = pg.locator("#commune-matches a")
    expect(matches).to_have_count(3)
    expect(matches.nth(1)).to_contain_text("Saint-Denis (974) — 97400, 97490")
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("ArrowDown")
    assert "(974)" in pg.evaluate("document.activeElement.textContent")
    no_sideways_scroll(pg)
    shot(pg, "journey-inscription-commune-recherche-360")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/inscription?commune=*")
    expect(pg.locator(".chosen-commune")).to_contain_text("Commune : Saint-Denis (974) — 97400, 97490")
    tab_to(pg, "input[name=address]")
    pg.keyboard.type("12 rue de « l’Église »")
    tab_to(pg, "input[name=email]")
    pg.keyboard.type("saint.denis.974@example.test")
    no_sideways_scroll(pg)
    shot(pg, "journey-inscription-commune-choisie-360")
    pg.evaluate("document.querySelector('input[name=commune]').value = '999999'")  # a hostile page or an old tab
    pg.keyboard.press("Enter")
    expect(pg.get_by_role("alert")).to_contain_text("Choisissez votre commune dans la recherche")
    tab_to(pg, "#commune-q")
    pg.keyboard.type("st etienne")
    pg.keyboard.press("Enter")  # the button's search, as without JavaScript
    pg.wait_for_url("**/inscription?q=st+etienne")
    tab_to(pg, "#commune-matches a")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/inscription?commune=*")
    tab_to(pg, "input[name=address]")
    pg.keyboard.type("2 place de l’Hôtel de Ville")
    tab_to(pg, "input[name=email]")
    pg.keyboard.type("saint.etienne@example.test")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/inscription/position")
    expect(pg.locator("#signup-map")).to_have_attribute("data-lon", "4.3872")
    with e2e_db() as s:
        assert s.scalar(select(User).where(User.email.in_(["saint.denis.974@example.test", "saint.etienne@example.test"]))) is None
