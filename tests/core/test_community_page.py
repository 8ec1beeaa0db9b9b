"""« Ma communauté »: movements, history, information, référents, validation mode,
rename, plugin panels; and the home page."""
from datetime import datetime, timezone

from sqlalchemy import select

from vvs_core.communities.events import record_event
from vvs_core.hooktypes import ActivityItem, FooterLink, MenuItem, Panel
from vvs_core.models import CommunityEvent
from vvs_core.plugins import hookimpl


def test_page_shows_information_movements_and_referents(testapp, make_user, make_community, dbsession):
    referent, member, newcomer = make_user(first_name="Claire"), make_user(), make_user(first_name="Nouveau")
    community = make_community(name="Le Bourg", members=[member, newcomer], referents=[referent],
                               address_label="Place de l'église")
    record_event(dbsession, "member_joined", community=community, subject=newcomer)
    record_event(dbsession, "hidden_phone_viewed", community=community, data={"user_ids": [1]}, public=False)
    dbsession.flush()
    testapp.login(member)
    page = testapp.get(f"/communaute/{community.id}")
    assert "Le Bourg" in page.text and "Place de l'église" in page.text
    assert "Nombre de membres</dt><dd>3" in page.text
    assert f"Arrivée d'un voisin : Nouveau" in page.text
    assert "Numéros masqués" not in page.text
    assert f"/communaute/{community.id}/membres/{referent.id}" in page.text
    assert "Validation par le référent" in page.text
    assert 'id="community-map"' in page.text and "Modifier la délimitation" not in page.text
    history = testapp.get(f"/communaute/{community.id}/historique")
    assert "Arrivée d'un voisin" in history.text and "Numéros masqués" not in history.text


def test_referent_renames_and_changes_the_validation_mode(testapp, make_user, make_community, dbsession):
    referent = make_user()
    community = make_community(name="Le Bourg", referents=[referent])
    testapp.login(referent)
    form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
    form["name"] = "x"
    assert "au moins 3 caractères" in form.submit("submit", status=400).text
    dbsession.refresh(community)
    assert community.name == "Le Bourg"
    form["name"] = "Le Vieux Bourg"
    form["validation_mode"] = "platform"
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert (community.name, community.validation_mode) == ("Le Vieux Bourg", "platform")
    kinds = set(dbsession.execute(select(CommunityEvent.kind).where(CommunityEvent.community_id == community.id)).scalars())
    assert {"renamed", "validation_mode_changed"} <= kinds
    history = testapp.get(f"/communaute/{community.id}/historique").text
    assert "« Le Bourg » devient « Le Vieux Bourg »" in history


def test_rename_to_a_name_taken_in_the_commune_is_refused_like_sign_up(testapp, make_user, make_community,
                                                                      dbsession):
    referent = make_user()
    community = make_community(name="Le Bourg", referents=[referent])
    make_community(name="Les Érables")
    testapp.login(referent)
    form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
    for taken in ("Les Érables", "les erables", "  LES   ÉRABLES "):
        form["name"] = taken
        page = form.submit("submit", status=400)
        assert "Une communauté s'appelle déjà « Les Érables » à Serris" in page.text, taken
    dbsession.refresh(community)
    assert community.name == "Le Bourg"
    form["name"] = "le bourg"  # its own name, another case: allowed
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert community.name == "le bourg"


def test_rename_shows_every_error_in_one_pass(testapp, make_user, make_community):
    referent = make_user()
    community = make_community(name="Le Bourg", referents=[referent])
    make_community(name="Les Érables")
    testapp.login(referent)
    form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
    form["name"] = "Les Erables"
    form["description"] = "é" * 1001
    page = form.submit("submit", status=400)
    assert "Une communauté s'appelle déjà" in page.text and "1000" in page.text


def test_imposed_validation_mode_cannot_be_changed(testapp, plug, make_user, make_community, dbsession):
    class Mairie:
        @hookimpl
        def vvs_validation_mode_imposed(self, request, community):
            return "mairie"

    plug(Mairie())
    referent = make_user()
    community = make_community(referents=[referent])
    testapp.login(referent)
    page = testapp.get(f"/communaute/{community.id}")
    assert "fixé par la mairie de Serris" in page.text
    form = testapp.get(f"/communaute/{community.id}/modifier").forms["communaute"]
    assert "validation_mode" not in form.fields
    testapp.post_csrf(f"/communaute/{community.id}/modifier",
                      {"name": community.name, "validation_mode": "platform"}, status=303)
    dbsession.refresh(community)
    assert community.validation_mode == "referent"


def test_vvs_community_panels(testapp, plug, make_user, make_community):
    class Panels:
        @hookimpl
        def vvs_community_panels(self, request, community):
            return [Panel("Jumelages", f"<p>Panneau de {community.name}</p>")]

    plug(Panels())
    member = make_user()
    community = make_community(name="Les Lilas", members=[member])
    testapp.login(member)
    assert "<p>Panneau de Les Lilas</p>" in testapp.get(f"/communaute/{community.id}").text


def test_vvs_home_activity(testapp, plug, make_user, make_community):
    class Activity:
        @hookimpl
        def vvs_home_activity(self, request, user):
            return [ActivityItem(datetime(2026, 1, 2, tzinfo=timezone.utc), "Ancienne nouvelle"),
                    ActivityItem(datetime(2026, 3, 4, tzinfo=timezone.utc), "Récente nouvelle", url="/charte")]

    plug(Activity())
    member = make_user()
    make_community(name="Les Lilas", members=[member])
    testapp.login(member)
    home = testapp.get("/").text
    assert "Les Lilas" in home and "1 membre<" in home and "Inviter des voisins" in home
    assert home.index("Récente nouvelle") < home.index("Ancienne nouvelle")


def test_vvs_menu_items(testapp, plug, make_user):
    class Menu:
        @hookimpl
        def vvs_menu_items(self, request):
            return [MenuItem("Mon entrée", "/charte", order=5)]

    plug(Menu())
    testapp.login(make_user())
    assert ">Mon entrée<" in testapp.get("/parametres").text


def test_vvs_footer_links(testapp, plug, make_user):
    class Footer:
        @hookimpl
        def vvs_footer_links(self, request):
            return [FooterLink("Mentions légales « Serris » ✅", "/charte#mentions", order=90),
                    FooterLink("Plan du site", "/charte#plan", order=10)]

    plug(Footer())
    anonymous = testapp.get("/connexion").text
    testapp.login(make_user())
    for page in (anonymous, testapp.get("/parametres").text):
        footer = page[page.index('<footer class="site-footer">'):page.index("</footer>")]
        assert '· <a href="/charte#plan">Plan du site</a>' in footer
        assert footer.index("Charte de bonne conduite") < footer.index("Plan du site") < footer.index(
            "Mentions légales « Serris » ✅") < footer.index(">English<")


def test_admin_page_lists_communes_and_communities(testapp, make_user, make_community):
    admin = make_user(is_admin=True)
    make_community(name="Les Lilas", members=[make_user(), make_user()])
    testapp.login(admin)
    page = testapp.get("/admin")
    assert "Serris" in page.text and "Les Lilas" in page.text and "<td>2</td>" in page.text


def test_staff_in_no_community_find_their_work_on_the_home_page(testapp, plug, make_user, make_community):
    """A moderator or an administrator is no resident: their home lists the entries the plugins
    mark as work (queues, administration), with their counts, not « membre d'aucune communauté »."""
    class Menu:
        @hookimpl
        def vvs_menu_items(self, request):
            return [MenuItem("File « Église » ✅", "/charte", order=79, badge=3, work=True),
                    MenuItem("Entrée ordinaire", "/parametres", order=5)]

    plug(Menu())
    testapp.login(make_user(first_name="Zoé"))
    home = testapp.get("/").html
    work = home.select_one("[aria-labelledby=h-travail]")
    assert [a.text for a in work.select("a")] == ["File « Église » ✅"] and "(3 en attente)" in work.text
    assert "membre d'aucune communauté" not in home.text and home.select_one("#h-communaute") is None
    assert testapp.get("/", {"_LOCALE_": "en"}).html.select_one("#h-travail").text == "My work"
    member = make_user()
    make_community(name="Les Lilas", members=[member])
    testapp.reset()
    testapp.login(member)  # a resident: their community, no « Mon travail » card
    home = testapp.get("/").html
    assert home.select_one("#h-travail") is None and "Les Lilas" in home.select_one("#h-communaute").parent.text


def test_someone_in_no_community_without_work_is_invited_to_join(testapp, make_user):
    testapp.login(make_user())
    home = testapp.get("/")
    assert "Vous n'êtes encore membre d'aucune communauté." in home.text and "h-travail" not in home.text
    assert home.html.find("a", string="Choisir ma communauté")["href"] == "/inscription/communaute"


def test_a_refused_resident_is_told_why_and_offered_the_next_step(testapp, make_user, make_community, dbsession):
    """Walk of the staff, item 18: after a refusal the home said only « aucune communauté »."""
    from vvs_core.models import Membership

    resident = make_user(first_name="Anaïs")
    community = make_community(name="Les Jardins d’Éole")
    dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="rejected",
                             decision_reason="Votre adresse est hors du quartier « Éole » 🏡"))
    dbsession.flush()
    testapp.login(resident)
    home = testapp.get("/")
    card = " ".join(home.html.select_one("[aria-labelledby=h-communaute]").get_text().split())
    assert "Votre demande d’adhésion à la communauté « Les Jardins d’Éole » n’a pas été acceptée." in card
    assert "Motif : Votre adresse est hors du quartier « Éole » 🏡" in card
    assert "vous ne recevez pas les alertes de vos voisins" in card and "encore membre" not in card
    assert home.html.find("a", string="Choisir ma communauté")["href"] == "/inscription/communaute"


def test_a_resident_who_left_is_offered_the_next_step_without_a_reason(testapp, make_user, make_community, dbsession):
    from vvs_core.models import Membership

    resident = make_user()
    community = make_community(name="Le Clos Saint-Éloi")
    dbsession.add(Membership(user_id=resident.id, community_id=community.id, status="left",
                             decision_reason="Déménagement"))
    dbsession.flush()
    testapp.login(resident)
    card = " ".join(testapp.get("/").html.select_one("[aria-labelledby=h-communaute]").get_text().split())
    assert "Vous avez quitté la communauté « Le Clos Saint-Éloi »." in card
    assert "Déménagement" not in card and "Choisir ma communauté" in card


def test_a_new_request_elsewhere_hides_the_old_refusal(testapp, make_user, make_community, dbsession):
    from vvs_core.models import Membership

    resident = make_user()
    refused = make_community(name="La Butte")
    wanted = make_community(name="Le Verger", centre=(2.80, 48.85))
    dbsession.add(Membership(user_id=resident.id, community_id=refused.id, status="rejected", decision_reason="Non."))
    dbsession.add(Membership(user_id=resident.id, community_id=wanted.id, status="pending"))
    dbsession.flush()
    testapp.login(resident)
    card = testapp.get("/").html.select_one("[aria-labelledby=h-communaute]").get_text()
    assert "Le Verger" in card and "demande en attente" in card and "La Butte" not in card
    assert "Choisir ma communauté" not in card


def test_the_referent_page_counts_the_requests_waiting_in_its_community_only(testapp, make_user, make_community, dbsession):
    from vvs_core.models import Membership

    referent = make_user(first_name="Rémi")
    here = make_community("Les Érables", referents=[referent], members=[make_user()])
    there = make_community("La Côte", centre=(2.7950, 48.8590))
    for community in (here, here, there):
        dbsession.add(Membership(user_id=make_user().id, community_id=community.id, status="pending"))
    dbsession.flush()
    testapp.login(referent)
    assert "Demandes d'adhésion en attente : 2" in testapp.get(f"/communaute/{here.id}/referent").text
