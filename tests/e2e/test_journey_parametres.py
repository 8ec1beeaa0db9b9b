"""MES PARAMÈTRES, as the seeds tell it (« Comment masquer mon numéro de téléphone ? »):
« paramètres » → « Modifier mes informations » → « Cochez cette case » → « validez »:
the neighbours no longer see the number; and closing one's account, from the same page.
On 360 px phones.
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from journey import add_resident
from menu import open_menu
from vvs_core.models import User
from vvs_core.accounts.phones import display_phone
from vvs_core.testing import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_hiding_the_mobile_number(phone, person, login, shot, e2e_db):
    with e2e_db() as s:
        number = display_phone(s.scalar(select(User.mobile).where(User.email == "resident@serris.demo")))
    neighbour = person("referent@serris.demo")
    neighbour.get_by_role("link", name="Annuaire des voisins").first.click()
    expect(neighbour.get_by_role("link", name=f"Portable : {number}")).to_be_visible()  # before

    login(phone, "resident@serris.demo")
    open_menu(phone).get_by_role("link", name="Mes paramètres").click()
    phone.get_by_role("link", name="Modifier mes informations").click()
    phone.get_by_label("Masquer le téléphone portable").check()
    shot(phone, "journey-parametres-1-masquer")
    phone.get_by_role("button", name="Enregistrer").click()
    phone.wait_for_url("**/parametres")
    expect(phone.get_by_text("masqué pour vos voisins").first).to_be_visible()
    shot(phone, "journey-parametres-2-apercu")

    neighbour.reload()
    expect(neighbour.get_by_role("link", name="Julien Martin")).to_be_visible()
    assert number not in neighbour.content() and number.replace(" ", "") not in neighbour.content()
    shot(neighbour, "journey-parametres-3-annuaire-voisin")


def test_closing_the_account(phone, person, login, shot, e2e_db):
    # A resident of Le Bourg of this test's own: the demo's are other tests' (closing Élodie
    # Fontaine's account made « Ma communauté »'s invitation to her, already a member, go out
    # when that journey ran after this one).
    email = "noemie.lhermitte-oeuvray@serris.demo"
    add_resident(e2e_db, email, "Noémie", "L’Hermitte-Œuvray", "7 rue de l’Église, 77700 Serris")
    login(phone, email)
    open_menu(phone).get_by_role("link", name="Mes paramètres").click()
    phone.get_by_role("link", name="Fermeture du compte", exact=True).click()
    phone.get_by_label("Votre mot de passe, pour confirmer").fill("pas le bon mot de passe")
    phone.get_by_role("button", name="Fermer définitivement mon compte").click()
    expect(phone.get_by_text("le compte n'est pas fermé")).to_be_visible()
    shot(phone, "journey-parametres-4-mauvais-mot-de-passe")
    phone.get_by_label("Votre mot de passe, pour confirmer").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Fermer définitivement mon compte").click()
    phone.wait_for_url("**/connexion")
    expect(phone.get_by_text("Votre compte est fermé")).to_be_visible()
    login(phone, email)
    expect(phone.get_by_text("incorrect")).to_be_visible()
    claire = person("referent@serris.demo")
    claire.get_by_role("link", name="Le Bourg", exact=True).first.click()
    claire.get_by_role("link", name="Historique", exact=True).click()
    expect(claire.get_by_text("Départ d'un voisin : ancien membre").first).to_be_visible()
    assert "Hermitte" not in claire.content()
