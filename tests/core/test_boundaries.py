"""Delimitation rules (vvs_core.communities.boundaries) and the editor's save, on both backends."""
import json

from shapely.geometry import Point
from sqlalchemy import select

from vvs_core import geo
from vvs_core.communities.boundaries import check_new_boundary, polygon_from_points, street_of
from vvs_core.models import CommunityEvent
from vvs_core.plugins import hookimpl
from vvs_core.testing import SERRIS

SETTINGS = {"vvs.community.min_area_m2": 10000, "vvs.community.max_area_m2": 2000000}


def east_of(point, metres):
    return geo.from_l93(Point(geo.to_l93(Point(*point)).x + metres, geo.to_l93(Point(*point)).y)).coords[0]


def test_overlap_names_the_other_community(dbsession, make_community):
    mine = make_community(name="Les Lilas")
    make_community(name="Les Tilleuls", centre=east_of(SERRIS, 400))
    bigger = geo.square_around(SERRIS, 700)
    errors = check_new_boundary(dbsession, mine, bigger, SETTINGS)
    assert any("chevauche la communauté « Les Tilleuls »" in e for e in errors)


def test_size_and_shape_rules(dbsession, make_community):
    mine = make_community()
    assert "trop petite" in check_new_boundary(dbsession, mine, geo.square_around(SERRIS, 50), SETTINGS)[0]
    assert "trop grande" in " ".join(check_new_boundary(dbsession, mine, geo.square_around(SERRIS, 3000), SETTINGS))
    bow_tie = polygon_from_points([[2.78, 48.84], [2.79, 48.85], [2.79, 48.84], [2.78, 48.85]])
    assert "se croise" in check_new_boundary(dbsession, mine, bow_tie, SETTINGS)[0]
    assert check_new_boundary(dbsession, mine, geo.square_around(SERRIS, 400), SETTINGS) == []


def test_members_left_outside_are_counted_with_their_street(dbsession, make_community, make_user):
    far = make_user(home=Point(*east_of(SERRIS, 120)), address_label="12 bis rue de Lagny 77700 Serris")
    near = make_user(home=Point(*SERRIS))
    mine = make_community(members=[far, near])
    errors = check_new_boundary(dbsession, mine, geo.square_around(SERRIS, 150), SETTINGS)
    assert errors == ["1 membre de la communauté se retrouverait hors de la délimitation (notamment rue de Lagny) : "
                      "agrandissez la zone pour inclure leur domicile."]
    assert street_of("3 Allée des Tilleuls, 77700 Serris") == "Allée des Tilleuls"


def outline(polygon):
    return json.dumps([list(c) for c in polygon.exterior.coords[:-1]])


def test_refused_boundary_saves_nothing_and_accepted_one_is_an_event(
        testapp, dbsession, make_community, make_user):
    referent = make_user()
    mine = make_community(name="Les Lilas", referents=[referent])
    make_community(name="Les Tilleuls", centre=east_of(SERRIS, 400))
    before = mine.boundary
    testapp.login(referent)
    page = testapp.get(f"/communaute/{mine.id}/delimitation")
    assert "Recommencer la délimitation" in page.text and "boundary-editor.js" in page.text
    token = page.forms["boundary-form"]["csrf_token"].value
    url = f"/communaute/{mine.id}/delimitation"
    res = testapp.post(url, {"csrf_token": token, "boundary": outline(geo.square_around(SERRIS, 700))}, status=400)
    assert "chevauche la communauté « Les Tilleuls »" in res.text
    res = testapp.post(url, {"csrf_token": token, "boundary": "n'importe quoi"}, status=400)
    assert "illisible" in res.text
    dbsession.refresh(mine)
    assert mine.boundary.equals(before)
    testapp.post(url, {"csrf_token": token, "boundary": outline(geo.square_around(SERRIS, 350))}, status=303)
    dbsession.refresh(mine)
    assert round(geo.area_m2(mine.boundary)) != round(geo.area_m2(before))
    event = dbsession.execute(select(CommunityEvent).where(CommunityEvent.community_id == mine.id,
                                                           CommunityEvent.kind == "boundary_changed")).scalar_one()
    assert event.data["old_area_m2"] < event.data["new_area_m2"] and event.actor_id == referent.id
    # The geo index sees the new outline at once.
    assert geo.find_community_id_at(dbsession, east_of(SERRIS, 165)) == mine.id


def test_vvs_boundary_changed(testapp, app_registry, dbsession, make_community, make_user):
    seen = []

    class Listener:
        @hookimpl
        def vvs_boundary_changed(self, request, community, old_boundary):
            seen.append((community.id, round(geo.area_m2(old_boundary))))

    app_registry.vvs_plugins.register(Listener(), name="test-boundary")
    try:
        referent = make_user()
        mine = make_community(referents=[referent])
        old_area = round(geo.area_m2(mine.boundary))
        testapp.login(referent)
        testapp.post_csrf(f"/communaute/{mine.id}/delimitation",
                          {"boundary": outline(geo.square_around(SERRIS, 320))}, status=303)
        assert seen == [(mine.id, old_area)]
    finally:
        app_registry.vvs_plugins.unregister(name="test-boundary")


def test_a_shared_edge_rounded_by_the_map_is_not_an_overlap(dbsession, make_community):
    from shapely.geometry import Polygon

    from vvs_core.communities.boundaries import snap_to_neighbours

    mine = make_community(name="Ouest")
    neighbour = make_community(name="Est", centre=east_of(SERRIS, 300))  # shares mine's east edge
    rounded = Polygon([(round(x, 7) + 3e-8, round(y, 7)) for x, y in mine.boundary.exterior.coords])
    snapped = snap_to_neighbours(dbsession, mine, rounded)
    assert check_new_boundary(dbsession, mine, snapped, SETTINGS) == []
    del neighbour
