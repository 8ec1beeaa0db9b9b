"""Browser journey of the platform team (issue 13.1), on a 360 px phone: an
administrator finds a resident from /admin, suspends the account with a reason, reopens
it, then bans it; the banned resident cannot sign in; the journal shows each action
with its reason."""
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Community, Membership, User
from vvs_core.security import hash_password
from vvs_core.testing import DEMO_PASSWORD

EMAIL = "gaelle.oeuvray.e2e@serris.demo"
ADMIN = "admin@serris.demo"
PHONE = {"width": 360, "height": 780}


def resident(e2e_db) -> int:
    with e2e_db() as s:
        community = s.execute(select(Community).order_by(Community.id).limit(1)).scalar_one()
        user = User(email=EMAIL, password_hash=hash_password(DEMO_PASSWORD), first_name="Gaëlle",
                    last_name="Œuvray-d’Estienne", pseudonym="Gaëlle", address_label="3 rue des Œillets, 77700 Serris",
                    home=community.boundary.representative_point(), email_confirmed_at=utcnow())
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, community_id=community.id, status="active", requested_at=utcnow(),
                         decided_at=utcnow()))
        s.commit()
        return user.id


def status_of(e2e_db, user_id) -> str:
    with e2e_db() as s:
        return s.get(User, user_id).status


def act(pg, action: str, reason: str):
    pg.get_by_label("Action sur le compte").select_option(label=action)
    pg.locator("#statut").get_by_label("Motif (gardé dans le journal)").fill(reason)
    pg.get_by_role("button", name="Appliquer").click()
    pg.wait_for_load_state()


def test_suspend_reopen_ban_from_admin(browser, live_server, login, shot, e2e_db):
    user_id = resident(e2e_db)
    context = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=live_server)
    context.set_default_timeout(20000)
    pg = context.new_page()
    login(pg, ADMIN)
    pg.goto("/admin")
    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Utilisateurs").click()
    pg.get_by_label("Nom, pseudonyme, adresse e-mail ou téléphone").fill("œuvray")
    pg.get_by_role("button", name="Rechercher").click()
    pg.wait_for_load_state()
    shot(pg, "admin-users-360")
    pg.get_by_role("link", name="Gaëlle Œuvray-d’Estienne").click()
    pg.wait_for_url(f"**/admin/utilisateurs/{user_id}")
    shot(pg, "admin-user-360")

    # a reason too short: refused in French, nothing changed
    act(pg, "Suspendre le compte", "abc")
    assert "au moins 5 caractères" in pg.content()
    assert status_of(e2e_db, user_id) == "active"

    act(pg, "Suspendre le compte", "Propos injurieux répétés envers « les voisins » 😞")
    assert "compte suspendu" in pg.locator(".flash").first.inner_text().lower()
    assert status_of(e2e_db, user_id) == "suspended"
    act(pg, "Rouvrir le compte", "Excuses présentées à la référente.")
    assert status_of(e2e_db, user_id) == "active"
    act(pg, "Bannir", "Menaces envers un voisin, signalées à la police municipale.")
    assert status_of(e2e_db, user_id) == "banned"

    other = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=live_server)
    other.set_default_timeout(20000)
    victim = other.new_page()
    login(victim, EMAIL)
    assert "/connexion" in victim.url
    assert "suspendu par l'équipe de la plateforme" in victim.content()
    shot(victim, "admin-banned-login-360")
    other.close()

    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Journal").click()
    pg.wait_for_url("**/admin/journal")
    text = pg.content()
    for label in ("Compte suspendu", "Compte rouvert", "Compte banni", "Menaces envers un voisin"):
        assert label in text, label
    shot(pg, "admin-journal-360")
    context.close()


def test_communes_and_extensions_pages_at_360(browser, live_server, login, shot, e2e_db):
    """The communes list, its creation form, a commune's page and the extensions, on a phone."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=live_server)
    context.set_default_timeout(20000)
    pg = context.new_page()
    login(pg, ADMIN)
    pg.goto("/admin/communes")
    pg.get_by_label("Code INSEE").fill("7744")  # four digits: refused by the server
    pg.get_by_label("Nom de la commune").fill("Saint-Rémy-lès-Chevreuse")
    pg.get_by_label("Codes postaux (séparés par des espaces)").fill("78470")
    pg.get_by_label("Latitude de la mairie").fill("48,7058")
    pg.get_by_label("Longitude de la mairie").fill("2,0717")
    pg.locator("#commune").get_by_label("Motif (gardé dans le journal)").fill("Convention signée avec la mairie.")
    pg.get_by_role("button", name="Créer la commune").click()
    pg.wait_for_load_state()
    assert "Le code INSEE compte cinq caractères" in pg.content()
    shot(pg, "admin-communes-360")
    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Communes").click()
    pg.get_by_role("link", name="Serris").click()
    pg.wait_for_url("**/admin/communes/77449")
    pg.locator("details summary").first.click()
    shot(pg, "admin-commune-360")
    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Extensions").click()
    pg.wait_for_url("**/admin/extensions")
    assert "Géocodage des adresses" in pg.content()
    shot(pg, "admin-extensions-360")
    context.close()
