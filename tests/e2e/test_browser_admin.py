"""Browser journey of the platform team (issue 13.1), on a 360 px phone: an
administrator finds a resident from /admin, suspends the account with a reason, reopens
it, then bans it; the banned resident cannot sign in; the journal shows each action
with its reason."""
from sqlalchemy import select

from journey import add_resident
from phones import open_page
from vvs_core.clock import utcnow
from vvs_core.models import Community, Membership, User
from vvs_core.accounts.security import hash_password
from vvs_core.testing import DEMO_PASSWORD

EMAIL = "gaelle.oeuvray.e2e@serris.demo"
ADMIN = "admin@serris.demo"
PHONE = {"width": 360, "height": 780}


def resident(e2e_db) -> int:
    return add_resident(e2e_db, EMAIL, "Gaëlle", "Œuvray-d’Estienne", "3 rue des Œillets, 77700 Serris")


def status_of(e2e_db, user_id) -> str:
    with e2e_db() as s:
        return s.get(User, user_id).status


def act(pg, action: str, reason: str):
    pg.get_by_label("Action sur le compte").select_option(label=action)
    pg.locator("#statut").get_by_label("Motif (gardé dans le journal)").fill(reason)
    with pg.expect_navigation():
        pg.get_by_role("button", name="Appliquer").click()


def test_suspend_reopen_ban_from_admin(browser, live_server, login, shot, e2e_db):
    user_id = resident(e2e_db)
    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(pg, ADMIN)
    pg.goto("/admin")
    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Utilisateurs").click()
    pg.get_by_label("Nom, pseudonyme, adresse e-mail ou téléphone").fill("œuvray")
    with pg.expect_navigation():
        pg.get_by_role("button", name="Rechercher").click()
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
    # the account's own history shows the ban and its reason
    history = pg.locator("section", has_text="Dernières actions de l'équipe sur ce compte").inner_text()
    assert "Compte banni" in history and "Menaces envers un voisin" in history, history
    assert "Banni" in pg.locator(".pill").first.inner_text()

    other, victim = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(victim, EMAIL)
    assert "/connexion" in victim.url
    assert "Ce compte a été banni par l'équipe de la plateforme" in victim.content()
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
    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(pg, ADMIN)
    pg.goto("/admin/communes")
    pg.get_by_label("Code INSEE").fill("7744")  # four digits: refused by the server
    pg.get_by_label("Nom de la commune").fill("Saint-Rémy-lès-Chevreuse")
    pg.get_by_label("Codes postaux (séparés par des espaces)").fill("78470")
    pg.get_by_label("Latitude de la mairie").fill("48,7058")
    pg.get_by_label("Longitude de la mairie").fill("2,0717")
    pg.locator("#commune").get_by_label("Motif (gardé dans le journal)").fill("Convention signée avec la mairie.")
    with pg.expect_navigation():
        pg.get_by_role("button", name="Créer la commune").click()
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


def two_touching_communities(e2e_db) -> tuple[int, int]:
    """Two neighbourhoods of Serris side by side (3 km east of the demo's), one with a member."""
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, square_around, to_l93
    from vvs_core.models import Commune
    from vvs_core.testing import SERRIS

    def east(metres):
        p = to_l93(Point(*SERRIS))
        return from_l93(Point(p.x + metres, p.y)).coords[0]

    with e2e_db() as s:
        commune = s.execute(select(Commune).where(Commune.insee == "77449")).scalar_one()
        first = Community(commune_id=commune.id, name="Les Hauts de l’Aulnoye", boundary=square_around(east(3000), 300))
        second = Community(commune_id=commune.id, name="Le Pré-Saint-Gervais", boundary=square_around(east(3300), 300))
        s.add_all([first, second])
        s.flush()
        member = User(email="rene.lacroix.e2e@serris.demo", password_hash=hash_password(DEMO_PASSWORD),
                      first_name="René", last_name="Lacroix", pseudonym="René", email_confirmed_at=utcnow(),
                      home=Point(*east(3000)))
        s.add(member)
        s.flush()
        s.add(Membership(user_id=member.id, community_id=first.id, status="active", requested_at=utcnow(),
                         decided_at=utcnow()))
        s.commit()
        return first.id, second.id


def test_merge_two_communities_with_a_confirmation_at_360(browser, live_server, login, shot, e2e_db):
    first_id, second_id = two_touching_communities(e2e_db)
    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(pg, ADMIN)
    pg.goto("/admin/communes/77449")
    pg.get_by_role("link", name="Fusionner « Les Hauts de l’Aulnoye » dans une autre communauté").click()
    pg.wait_for_url(f"**/admin/communautes/{first_id}/fusion")
    pg.get_by_label("Fusionner dans la communauté").select_option(label="Le Pré-Saint-Gervais")
    pg.get_by_label("Motif (gardé dans le journal)").fill("Les voisins « des deux côtés » l’ont demandé 🤝")
    with pg.expect_navigation():
        pg.get_by_role("button", name="Voir ce que la fusion changera").click()
    assert "Vérifiez avant de confirmer" in pg.content() and "1 membre" in pg.content()
    shot(pg, "admin-merge-confirm-360")
    with e2e_db() as s:  # nothing changed yet
        assert s.get(Community, first_id) is not None
    pg.get_by_role("button", name="Confirmer la fusion").click()
    pg.wait_for_url("**/admin/communes/77449*")
    assert "est fusionnée dans « Le Pré-Saint-Gervais »" in pg.locator(".flash").first.inner_text()
    with e2e_db() as s:
        assert s.get(Community, first_id) is None
        moved = s.execute(select(Membership).join(User, User.id == Membership.user_id).where(User.email == "rene.lacroix.e2e@serris.demo")).scalar_one()
        assert moved.community_id == second_id
    pg.get_by_role("navigation", name="Administration").get_by_role("link", name="Journal").click()
    pg.wait_for_url("**/admin/journal")
    assert "Communautés fusionnées" in pg.content()
    context.close()


def test_archive_a_community_with_a_confirmation_at_360(browser, live_server, login, shot, e2e_db):
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, square_around, to_l93
    from vvs_core.models import Commune
    from vvs_core.testing import SERRIS

    p = to_l93(Point(*SERRIS))
    with e2e_db() as s:
        commune = s.execute(select(Commune).where(Commune.insee == "77449")).scalar_one()
        community = Community(commune_id=commune.id, name="La Ferme de l’Œuf",
                              boundary=square_around(from_l93(Point(p.x - 4000, p.y)).coords[0], 300))
        s.add(community)
        s.commit()
        community_id = community.id
    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(pg, ADMIN)
    pg.goto("/admin/communes/77449")
    pg.get_by_role("link", name="Archiver « La Ferme de l’Œuf »").click()
    pg.wait_for_url(f"**/admin/communautes/{community_id}/archivage")
    assert "Un archivage ne peut pas être annulé." in pg.content()
    assert "Aucun membre ni demande en attente : personne n'est concerné." in pg.content()
    pg.get_by_label("Motif (gardé dans le journal)").fill("ZAC")  # too short: refused, nothing changed
    with pg.expect_navigation():
        pg.get_by_role("button", name="Archiver définitivement").click()
    assert "au moins 5 caractères" in pg.content()
    with e2e_db() as s:
        assert s.get(Community, community_id).archived_at is None
    pg.get_by_label("Motif (gardé dans le journal)").fill("Quartier démoli pour la ZAC « des Prés » 🏗️")
    shot(pg, "admin-archive-360")
    pg.get_by_role("button", name="Archiver définitivement").click()
    pg.wait_for_url("**/admin/communes/77449*")
    assert "est archivée" in pg.locator(".flash").first.inner_text()
    assert "archivée le" in pg.locator("section", has_text="Communautés archivées").inner_text()
    with e2e_db() as s:
        assert s.get(Community, community_id).archived_at is not None
    context.close()
