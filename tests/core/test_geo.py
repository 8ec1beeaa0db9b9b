"""vvs_core.geo gives the same answers on SQLite (Shapely) and PostGIS."""
import pytest
from shapely.geometry import Point, Polygon

from vvs_core import geo
from vvs_core.models import Community
from vvs_core.testing import SERRIS

LON, LAT = SERRIS
# ~0.0041° of longitude ≈ 300 m at this latitude: B sits right beside A.
EAST = 0.0041


@pytest.fixture
def two_communities(make_community):
    a = make_community("A", centre=(LON, LAT), side_m=300)
    b = make_community("B", centre=(LON + EAST, LAT), side_m=300)
    return a, b


def test_contains_point(dbsession, two_communities):
    a, b = two_communities
    assert geo.find_community_id_at(dbsession, (LON, LAT)) == a.id
    assert geo.find_community_id_at(dbsession, (LON + EAST, LAT)) == b.id
    assert geo.find_community_at(dbsession, Point(LON, LAT + 0.01)) is None


def test_near_in_metres_nearest_first(dbsession, two_communities):
    a, b = two_communities
    # 350 m north of A's centre: 200 m from A's edge, and farther from B.
    north = (LON, LAT + 350 / 111_200)
    near = geo.communities_near(dbsession, north, 260)
    assert [n.community_id for n in near] == [a.id, b.id]
    assert 190 < near[0].distance_m < 210
    assert [n.community_id for n in geo.communities_near(dbsession, north, 150)] == []


def test_overlap_but_touching_is_allowed(dbsession, two_communities):
    a, b = two_communities
    overlapping = geo.square_around((LON + EAST / 2, LAT), 300)
    assert geo.overlapping_community_ids(dbsession, overlapping) == sorted([a.id, b.id])
    assert geo.overlapping_community_ids(dbsession, overlapping, exclude_id=a.id) == [b.id]
    far = geo.square_around((LON, LAT + 0.02), 300)
    assert geo.overlapping_community_ids(dbsession, far) == []
    # A polygon sharing exactly A's west edge only touches it.
    minx, miny, maxx, maxy = a.boundary.bounds
    touching = Polygon([(minx - 0.003, miny), (minx, miny), (minx, maxy), (minx - 0.003, maxy)])
    assert a.id not in geo.overlapping_community_ids(dbsession, touching)


def test_index_follows_boundary_changes(dbsession, two_communities):
    a, _b = two_communities
    spot = (LON, LAT + 0.01)
    assert geo.find_community_id_at(dbsession, spot) is None
    from vvs_core.clock import utcnow

    a.boundary = geo.square_around(spot, 300)
    a.boundary_changed_at = utcnow()
    dbsession.flush()
    assert geo.find_community_id_at(dbsession, spot) == a.id
    assert geo.find_community_id_at(dbsession, (LON, LAT)) is None


def test_size_rule():
    small = geo.square_around(SERRIS, 50)
    big = geo.square_around(SERRIS, 3000)
    ok = geo.square_around(SERRIS, 300)
    assert not geo.check_boundary_size(small, 10_000, 2_000_000).ok
    assert "trop petite" in geo.check_boundary_size(small, 10_000, 2_000_000).message
    assert "trop grande" in geo.check_boundary_size(big, 10_000, 2_000_000).message
    result = geo.check_boundary_size(ok, 10_000, 2_000_000)
    assert result.ok and 85_000 < result.area_m2 < 95_000


def test_polygon_validation_messages():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    assert "croise" in geo.validate_polygon(bowtie)
    assert geo.validate_polygon(Point(0, 0)) is not None
    assert geo.validate_polygon(geo.square_around(SERRIS, 300)) is None


def test_same_answers_on_a_grid(dbsession, make_community, backend):
    """A 4×4 grid of communities and 200 probe points: the answers are recorded per
    backend and compared with the other backend's in test_backends_agree."""
    ids = []
    for i in range(4):
        for j in range(4):
            ids.append(make_community(f"G{i}{j}", centre=(LON + i * EAST, LAT + j * 0.0027), side_m=300).id)
    import random

    rng = random.Random(7)
    answers = []
    for _ in range(200):
        p = (LON + rng.uniform(-0.003, 4 * EAST), LAT + rng.uniform(-0.002, 4 * 0.0027))
        found = geo.find_community_id_at(dbsession, p)
        near = [n.community_id for n in geo.communities_near(dbsession, p, 120)]
        answers.append((None if found is None else ids.index(found), [ids.index(n) for n in near]))
    _grid_answers[backend] = answers
    if len(_grid_answers) == 2:
        assert _grid_answers["sqlite"] == _grid_answers["postgis"]


_grid_answers: dict = {}


def test_community_geometry_roundtrip(dbsession, make_community):
    c = make_community("R")
    dbsession.expire_all()
    again = dbsession.get(Community, c.id)
    assert again.boundary.equals_exact(c.boundary, 1e-9)


def test_commune_at_a_point_by_boundary_then_nearest_centre(dbsession):
    """The sign-up finds the commune of a home with a spatial query (PostGIS, GiST) or
    Shapely (SQLite): the same commune on both, and never the wrong one of two neighbours."""
    from vvs_core.models import Commune

    west = Commune(insee="77001", name="Bailly-Romainvilliers", postcodes=["77700"], centre=Point(LON - 0.02, LAT),
                   boundary=geo.square_around((LON - 0.02, LAT), 2000))
    east = Commune(insee="77002", name="Chessy", postcodes=["77700"], centre=Point(LON + 0.02, LAT),
                   boundary=geo.square_around((LON + 0.02, LAT), 2000))
    far = Commune(insee="77003", name="Coupvray (sans contour)", postcodes=["77700"], centre=Point(LON, LAT + 0.2))
    dbsession.add_all([west, east, far])
    dbsession.flush()
    assert geo.find_commune_id_at(dbsession, (LON - 0.02, LAT)) == west.id
    assert geo.find_commune_id_at(dbsession, (LON + 0.021, LAT + 0.001)) == east.id
    # Outside every boundary: the nearest centre, in metres.
    assert geo.find_commune_id_at(dbsession, (LON, LAT + 0.15)) == far.id
    assert geo.find_commune_id_at(dbsession, (LON - 0.001, LAT)) == west.id
