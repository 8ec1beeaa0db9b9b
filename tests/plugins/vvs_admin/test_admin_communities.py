"""The platform team creates a community and edits its name, description and boundary
from the administration (walk of the staff: neither was possible). The boundary comes
from the référents' map editor and follows their rules, plus staying in its commune;
every bad input is a French message and changes nothing; every change is journaled."""
import json

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from vvs_core import geo
from vvs_core.models import Community, CommunityEvent, Membership
from vvs_core.testing import SERRIS

REASON = "Demande de la mairie du 3 décembre — « quartier de l’église »"
NAME = "Quartier de l’Église – Les Œillets"
EAST = (SERRIS[0] + 0.012, SERRIS[1])  # about 880 m east of the town hall


def ring(centre=EAST, side_m=400) -> str:
    return json.dumps([[round(x, 7), round(y, 7)] for x, y in geo.square_around(centre, side_m).exterior.coords][:-1])


@pytest.fixture
def admin(make_user):
    return make_user(first_name="Marc", last_name="Delaunay", is_admin=True)


def fields(the_commune, **changes):
    return {"commune": str(the_commune.id), "name": NAME, "description": "Autour de l’église 🔔, rue des Œillets.",
            "mode": "referent", "referent": "", "boundary": ring(), "reason": REASON, **changes}


def communities(dbsession) -> int:
    return dbsession.scalar(select(func.count(Community.id)))


def test_create_a_community_with_its_first_referent(testapp, admin, commune, make_user, dbsession):
    home = Point(EAST[0] + 0.0005, EAST[1])
    claire = make_user(first_name="Claire", last_name="Lefèvre", home=home, email="claire.eglise@example.test")
    testapp.login(admin)
    page = testapp.get(f"/admin/communes/{commune.insee}")
    link = page.html.find("a", string=lambda s: s and "Créer une communauté" in s)
    form_page = testapp.get(link["href"])
    assert 'id="boundary-editor"' in form_page.text and "boundary-editor.js" in form_page.text
    assert form_page.forms["boundary-form"]["commune"].value == str(commune.id)
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, referent=" CLAIRE.EGLISE@example.test ",
                                                                  address_label="  rue des Œillets,  77700 Serris "))
    assert res.status_int == 303, res.text[:3000]
    community = dbsession.scalar(select(Community).where(Community.name == NAME))
    assert community.commune_id == commune.id and community.validation_mode == "referent"
    assert community.description == "Autour de l’église 🔔, rue des Œillets."
    assert abs(geo.area_m2(community.boundary) - 160000) < 2000
    membership = dbsession.scalar(select(Membership).where(Membership.user_id == claire.id))
    assert (membership.community_id, membership.status, membership.role) == (community.id, "active", "referent")
    kinds = dict(dbsession.execute(select(CommunityEvent.kind, CommunityEvent.public)
                                   .where(CommunityEvent.community_id == community.id)).all())
    assert kinds["community_created"] is True and kinds["admin_community_created"] is False
    assert kinds["referent_appointed"] is False and kinds["member_joined"] is True
    audit = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "admin_community_created"))
    assert audit.actor_id == admin.id and audit.data["reason"] == REASON
    shown = res.follow()
    assert f"La communauté « {NAME} » est créée, avec Claire Lefèvre pour référent." in shown.text
    journal = testapp.get("/admin/journal").text
    assert "Communauté créée par l'équipe" in journal and "Serris, 16 ha" in journal
    # where residents look: the sign-up's lookup by address finds it, and offers it
    assert geo.find_community_id_at(dbsession, Point(EAST)) == community.id
    newcomer = make_user(first_name="Bérénice", home=Point(EAST[0] - 0.0005, EAST[1]))
    testapp.post_csrf("/deconnexion", {}, status=303)
    testapp.login(newcomer)
    chooser = testapp.get("/inscription/communaute").text
    assert f"Votre domicile se trouve dans la communauté <strong>« {NAME} »</strong>" in chooser
    assert "rue des Œillets, 77700 Serris" in chooser  # its address under its name, as the others'


def test_a_geojson_polygon_pasted_from_a_gis_tool_is_read(testapp, admin, commune, dbsession):
    testapp.login(admin)
    polygon = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        json.loads(ring()) + [json.loads(ring())[0]]]}}
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, boundary=json.dumps(polygon)))
    assert res.status_int == 303, res.text[:3000]
    assert dbsession.scalar(select(Community.id).where(Community.name == NAME)) is not None


BOWTIE = json.dumps([[EAST[0], EAST[1]], [EAST[0] + 0.005, EAST[1] + 0.004], [EAST[0] + 0.005, EAST[1]],
                     [EAST[0], EAST[1] + 0.004]])


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Donnez un nom à la communauté (3 caractères au moins)"),
    ({"name": "  \t "}, "Donnez un nom à la communauté"),
    ({"name": "Les Œillets\x1b[31m"}, "caractères de contrôle invisibles"),
    ({"name": "É" * 121}, "120 caractères au plus (121 saisis)"),
    ({"address_label": "rue des Œillets\x07"}, "caractères de contrôle invisibles"),
    ({"address_label": "é" * 256}, "255 caractères au plus (256 saisis)"),
    ({"commune": "999999"}, "Choisissez la commune dans la recherche"),
    ({"commune": "²"}, "Choisissez la commune dans la recherche"),
    ({"commune": "1 OR 1=1"}, "Choisissez la commune dans la recherche"),
    ({"mode": "tout-le-monde"}, "Choisissez une valeur de la liste."),
    ({"boundary": ""}, "Tracez la délimitation de la communauté sur la carte."),
    ({"boundary": BOWTIE}, "se croise elle-même"),
    ({"boundary": ring((SERRIS[0] + 0.6, SERRIS[1]))}, "la zone sort de la commune"),
    ({"boundary": ring(SERRIS)}, "chevauche la communauté « Le Vieux Serris »"),
    ({"boundary": ring(side_m=50)}, "La délimitation est trop petite"),
    ({"boundary": "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"}, "La délimitation envoyée est illisible."),
    ({"boundary": '{"type": "MultiPolygon", "coordinates": []}'}, "un seul polygone sans trou"),
    ({"boundary": '{"__proto__": {"admin": true}}'}, "un seul polygone sans trou"),
    ({"boundary": '[["x", "y"], [1, 2], [3, 4]]'}, "Un sommet de la délimitation est illisible."),
    ({"boundary": "[[1e999, 2], [3, 4], [5, 6]]"}, "hors de la carte"),
    ({"boundary": "[[NaN, 2], [3, 4], [5, 6]]"}, "hors de la carte"),
    ({"boundary": "[" + "[2.79, 48.84]," * 3000 + "[2.79, 48.84]]"}, "20 000 caractères au plus"),
    ({"boundary": "<script>alert(1)</script>"}, "La délimitation envoyée est illisible."),
    ({"referent": "personne@exemple.fr"}, "Aucun compte n'a l'adresse « personne@exemple.fr »"),
    ({"referent": "pas une adresse"}, "Adresse e-mail invalide."),
    ({"reason": ""}, "Indiquez le motif"),
])
def test_bad_input_creates_nothing(testapp, admin, commune, make_community, dbsession, changes, message):
    make_community("Le Vieux Serris")
    testapp.login(admin)
    before = communities(dbsession)
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, **changes), expect_errors=True)
    assert res.status_int == 400, res.text[:2000]
    assert message in res.text, res.text[:6000]
    assert communities(dbsession) == before


def test_a_name_taken_in_the_commune_and_a_referent_already_elsewhere(testapp, admin, commune, make_user,
                                                                        make_community, dbsession):
    neighbour = make_user(first_name="Noé", home=Point(EAST))
    make_community("Quartier de l'eglise - les oeillets", centre=SERRIS, members=[neighbour])
    testapp.login(admin)
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, name="QUARTIER DE L’ÉGLISE - LES ŒILLETS"),
                            status=400)
    assert "Une communauté s'appelle déjà « Quartier de l'eglise - les oeillets » à Serris" in res.text
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, name="Les Tilleuls",
                                                                  referent=neighbour.email), status=400)
    assert "fait déjà partie de la communauté « Quartier de l'eglise - les oeillets »" in res.text
    far = make_user(first_name="Loïc", home=Point(SERRIS[0] - 0.02, SERRIS[1]))
    res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, name="Les Tilleuls", referent=far.email),
                            status=400)
    assert "Le domicile de Loïc" in res.text and "hors de la délimitation" in res.text
    assert communities(dbsession) == 1


def test_the_form_without_a_commune_and_without_any(testapp, admin, dbsession):
    testapp.login(admin)
    page = testapp.get("/admin/communautes/nouvelle?commune=%C2%B2")
    assert "Ajoutez d'abord une commune" in page.text


# --- Editing ------------------------------------------------------------------

def edit_form(testapp, community):
    return testapp.get(f"/admin/communautes/{community.id}/modifier").forms["boundary-form"]


def test_edit_name_description_and_boundary(testapp, admin, commune, make_user, make_community, dbsession):
    member = make_user(first_name="Inès", home=Point(EAST))
    community = make_community("Les Œillets", centre=EAST, side_m=300, members=[member])
    testapp.login(admin)
    page = testapp.get(f"/admin/communes/{commune.insee}")
    link = page.html.find("a", href=f"/admin/communautes/{community.id}/modifier")
    form = testapp.get(link["href"]).forms["boundary-form"]
    assert form["name"].value == "Les Œillets"
    # the name alone: the boundary sent back as the map shows it is no change
    form["name"], form["reason"] = NAME, REASON
    form.submit("submit", status=303)
    dbsession.refresh(community)
    assert community.name == NAME
    assert not dbsession.scalar(select(func.count()).where(CommunityEvent.kind == "boundary_changed"))
    # description and boundary
    form = edit_form(testapp, community)
    form["description"], form["reason"] = "Ligne 2 « entre guillemets »", REASON
    form["address_label"] = "place de l’Église, 77700 Serris"
    res = testapp.post_csrf(f"/admin/communautes/{community.id}/modifier",
                            {**{k: v for k, v in form.submit_fields()}, "boundary": ring(side_m=500)})
    assert res.status_int == 303, res.text[:3000]
    dbsession.refresh(community)
    assert community.description == "Ligne 2 « entre guillemets »"
    assert community.address_label == "place de l’Église, 77700 Serris"
    assert abs(geo.area_m2(community.boundary) - 250000) < 3000
    edits = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_community_edited")
                              .order_by(CommunityEvent.id)).all()
    assert [e.data["changement"] for e in edits] == [
        f"nom : « Les Œillets » → « {NAME} »", "description ; adresse repère ; délimitation : 9 ha → 25 ha"]
    assert all(not e.public and e.data["reason"] == REASON and e.actor_id == admin.id for e in edits)
    public = set(dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.community_id == community.id,
                                                                     CommunityEvent.public.is_(True))))
    assert {"renamed", "boundary_changed"} <= public
    assert "Communauté modifiée par l'équipe" in testapp.get("/admin/journal").text
    # nothing changed: said, nothing recorded
    form = edit_form(testapp, community)
    form["reason"] = REASON
    assert "Rien n'a changé." in form.submit("submit", status=400).text


def test_bad_edits_change_nothing(testapp, app, admin, commune, make_user, make_community, dbsession):
    from vvs_core.testing import VVSTestApp

    member = make_user(first_name="Inès", home=Point(EAST[0] + 0.0015, EAST[1]))
    community = make_community("Les Œillets", centre=EAST, side_m=300, members=[member])
    make_community("Le Vieux Serris")
    testapp.login(admin)
    url = f"/admin/communautes/{community.id}/modifier"
    base = {k: v for k, v in edit_form(testapp, community).submit_fields()}
    for changes, message in (
            ({"name": "le vieux serris"}, "Une communauté s'appelle déjà « Le Vieux Serris »"),
            ({"name": "Les Œillets\x00"}, "caractères de contrôle invisibles"),
            ({"boundary": ring(side_m=150)}, "1 membre de la communauté se retrouverait hors de la délimitation"),
            ({"boundary": BOWTIE}, "se croise elle-même"),
            ({"boundary": ring(SERRIS, 900)}, "chevauche la communauté « Le Vieux Serris »"),
            ({"boundary": "{{{{"}, "La délimitation envoyée est illisible."),
            ({"etat": "0123456789abcdef", "description": "Autre"}, "modifié cette communauté entre-temps")):
        res = testapp.post_csrf(url, {**base, "reason": REASON, **changes}, expect_errors=True)
        assert res.status_int in (400, 409) and message in res.text, (changes, res.text[:5000])
    dbsession.refresh(community)
    assert community.name == "Les Œillets" and community.description == ""
    assert not dbsession.scalar(select(func.count()).where(CommunityEvent.kind == "admin_community_edited"))
    for bad in ("%C2%B2", "999999", "abc"):
        testapp.get(f"/admin/communautes/{bad}/modifier", status=404)


def test_an_archived_community_is_not_edited(testapp, admin, commune, make_community, dbsession):
    from vvs_core.clock import utcnow

    community = make_community("Les Œillets", centre=EAST)
    testapp.login(admin)
    fields_ = {k: v for k, v in edit_form(testapp, community).submit_fields()}
    community.archived_at = utcnow()
    dbsession.flush()
    testapp.get(f"/admin/communautes/{community.id}/modifier", status=403)
    res = testapp.post_csrf(f"/admin/communautes/{community.id}/modifier", {**fields_, "name": "Renommée",
                                                                            "reason": REASON}, status=403)
    assert "Communauté archivée" in res.text
    dbsession.refresh(community)
    assert community.name == "Les Œillets"


class BlocksEveryone:
    from vvs_core.plugins import hookimpl

    @hookimpl
    def vvs_membership_blockers(self, request, membership):
        return ["son justificatif de domicile n'est pas encore vérifié"]


def test_a_first_referent_a_plugin_blocks_leaves_no_community(testapp, admin, commune, make_user, dbsession,
                                                                app_registry):
    """The first référent joins as any accepted member: a plugin's blocker (an identity check
    not done) refuses it, and the community created with it is undone (a 400 page commits)."""
    claire = make_user(first_name="Claire", home=Point(EAST))
    plugin = BlocksEveryone()
    app_registry.vvs_plugins.register(plugin)
    try:
        testapp.login(admin)
        res = testapp.post_csrf("/admin/communautes/nouvelle", fields(commune, referent=claire.email), status=400)
    finally:
        app_registry.vvs_plugins.unregister(plugin)
    assert "ne peut pas encore rejoindre la communauté : son justificatif de domicile n'est pas encore vérifié" in res.text
    assert communities(dbsession) == 0
    assert dbsession.scalar(select(func.count()).select_from(Membership)) == 0
    assert dbsession.scalar(select(func.count()).select_from(CommunityEvent)) == 0


class HearsOfNewCommunities:
    from vvs_core.plugins import hookimpl

    def __init__(self):
        self.heard = []

    @hookimpl
    def vvs_community_created(self, request, community):
        self.heard.append((community.id, community.name, community.created_at == community.boundary_changed_at))


def test_a_community_the_team_creates_is_made_as_a_residents_is(testapp, admin, commune, dbsession, app_registry):
    """One way to write a new community (``membership.add_community``), for a resident's at sign-up
    and the team's: plugins hear of it (``vvs_community_created``), its « Création » movement names it,
    its boundary dates from its creation."""
    plugin = HearsOfNewCommunities()
    app_registry.vvs_plugins.register(plugin)
    try:
        testapp.login(admin)
        testapp.post_csrf("/admin/communautes/nouvelle", fields(commune), status=303)
    finally:
        app_registry.vvs_plugins.unregister(plugin)
    community = dbsession.scalar(select(Community).where(Community.name == NAME))
    assert plugin.heard == [(community.id, NAME, True)]
    created = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "community_created"))
    assert (created.community_id, created.data, created.public) == (community.id, {"name": NAME}, True)
