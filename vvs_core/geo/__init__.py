"""Geography of communities: which one contains a home, which are near, overlaps, size.

The only module that knows which backend runs. On PostgreSQL every query is SQL
through GeoAlchemy2 and index-backed (GiST on the boundary, and on its Lambert-93
projection for distances in metres). On SQLite the boundaries are loaded into
Shapely STRtrees cached per process and rebuilt when a boundary changes. Both
answer the same on the same data: distances are Lambert-93 metres on both.
"""

import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from shapely.geometry import Point, Polygon, box
from shapely.strtree import STRtree
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from vvs_core.web.french import number
from vvs_core.models import Commune, Community

L93 = 2154


# pyproj and its CRS database cost a web worker about 20 MB (issue 16.7): loaded the first
# time a projection or a geodesic distance is needed, not at start-up (on PostGIS most
# processes never need them).
@cache
def _transformer(source: int, target: int):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


@cache
def geod():
    """The WGS84 ellipsoid (pyproj ``Geod``), for geodesic distances and areas."""
    from pyproj import Geod

    return Geod(ellps="WGS84")


# "interiors intersect": sharing an edge or a corner is not an overlap.
OVERLAP_PATTERN = "T********"


def as_point(point) -> Point:
    if isinstance(point, Point):
        return point
    lon, lat = point
    return Point(float(lon), float(lat))


def to_l93(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(_transformer(4326, L93).transform(xy[:, 0], xy[:, 1])))


def from_l93(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(_transformer(L93, 4326).transform(xy[:, 0], xy[:, 1])))


def area_m2(polygon) -> float:
    """Geodesic area of a (lon, lat) polygon in square metres."""
    area, _ = geod().geometry_area_perimeter(polygon)
    return abs(area)


def square_around(point, side_m: float) -> Polygon:
    """A square of ``side_m`` metres centred on ``point``, in (lon, lat)."""
    centre = to_l93(as_point(point))
    half = side_m / 2
    return from_l93(box(centre.x - half, centre.y - half, centre.x + half, centre.y + half))


@dataclass(frozen=True)
class Nearby:
    community_id: int
    distance_m: float


def _is_postgis(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- PostGIS ------------------------------------------------------------------

_tbl = Community.__table__
_pt = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon"), bindparam("lat")), 4326)
_LIVE = _tbl.c.archived_at.is_(None)  # an archived community is off the map
_CONTAINS_SQL = (select(_tbl.c.id).where(func.ST_Contains(_tbl.c.boundary, _pt), _LIVE)
                 .order_by(_tbl.c.id).limit(1))
_L93_BOUNDARY = func.ST_Transform(_tbl.c.boundary, L93)
_NEAR_SQL = (
    select(_tbl.c.id, func.ST_Distance(_L93_BOUNDARY, func.ST_Transform(_pt, L93)).label("d"))
    .where(func.ST_DWithin(_L93_BOUNDARY, func.ST_Transform(_pt, L93), bindparam("metres")), _LIVE)
    .order_by("d", _tbl.c.id))
_poly = func.ST_GeomFromWKB(bindparam("wkb"), 4326)
_OVERLAP_SQL = (
    select(_tbl.c.id)
    .where(func.ST_Intersects(_tbl.c.boundary, _poly))
    .where(func.ST_Relate(_tbl.c.boundary, _poly, OVERLAP_PATTERN), _LIVE)
    .order_by(_tbl.c.id))


# --- Shapely (SQLite) ---------------------------------------------------------

class _ShapelyIndex:
    """STRtrees over every community boundary, in lon/lat and in Lambert-93."""

    def __init__(self, rows):
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.geoms = [shapely.from_wkb(r[1]) for r in rows]
        self.tree = STRtree(self.geoms)
        self.geoms_l93 = [to_l93(g) for g in self.geoms]
        self.tree_l93 = STRtree(self.geoms_l93)

    def contains(self, point):
        hits = self.tree.query(point, predicate="within")
        return int(self.ids[hits].min()) if len(hits) else None

    def near(self, point, metres):
        p = to_l93(point)
        hits = self.tree_l93.query(p, predicate="dwithin", distance=metres)
        out = [Nearby(int(self.ids[i]), float(self.geoms_l93[i].distance(p))) for i in hits]
        return sorted(out, key=lambda n: (n.distance_m, n.community_id))

    def overlapping(self, polygon):
        hits = self.tree.query(polygon, predicate="intersects")
        return sorted(int(self.ids[i]) for i in hits if self.geoms[i].relate_pattern(polygon, OVERLAP_PATTERN))


_cache_lock = threading.Lock()
_cache: dict = {}


def _fingerprint(session):
    # Changes whenever a community is added, removed or its boundary saved; also
    # differs inside a transaction that has not committed yet, so it is always right.
    row = session.execute(
        select(func.count(_tbl.c.id), func.max(_tbl.c.boundary_changed_at), func.coalesce(func.sum(_tbl.c.id), 0),
               func.count(_tbl.c.archived_at))
    ).one()
    bind = session.get_bind()
    return (str(getattr(bind, "engine", bind).url), row[0], str(row[1]), row[2], row[3])


def _shapely_index(session) -> _ShapelyIndex:
    session.flush()
    key = _fingerprint(session)
    with _cache_lock:
        index = _cache.get(key)
    if index is None:
        rows = session.execute(select(_tbl.c.id, _tbl.c.boundary).where(_LIVE)).all()
        index = _ShapelyIndex([(r[0], shapely.to_wkb(r[1])) for r in rows])
        with _cache_lock:
            _cache.clear()
            _cache[key] = index
    return index


# --- The API the rest of the code uses ---------------------------------------

_compiled: dict = {}


def _driver_sql(statement, dialect) -> tuple[str, dict]:
    """SQL text and constant parameters of a statement built once above, for the
    driver's prepared statements."""
    key = (id(statement), dialect.name)
    if key not in _compiled:
        compiled = statement.compile(dialect=dialect)
        _compiled[key] = (str(compiled), dict(compiled.params))
    return _compiled[key]


def find_community_id_at(session: Session, point) -> int | None:
    """Id of the community whose boundary contains ``point`` (lon, lat), or None.

    The hot path of sign-up and of inbound SMS: on PostGIS the statement (built with
    SQLAlchemy/GeoAlchemy2 above) runs as a server-side prepared statement on the
    session's own connection, which is 3–4× faster than going through the ORM.
    """
    p = as_point(point)
    if _is_postgis(session):
        connection = session.connection()
        driver = connection.connection.driver_connection
        sql, constants = _driver_sql(_CONTAINS_SQL, connection.dialect)
        row = driver.execute(sql, {**constants, "lon": p.x, "lat": p.y}, prepare=True).fetchone()
        return row[0] if row else None
    return _shapely_index(session).contains(p)


def find_community_at(session: Session, point) -> Community | None:
    cid = find_community_id_at(session, point)
    return session.get(Community, cid) if cid is not None else None


def communities_near(session: Session, point, metres: float) -> list[Nearby]:
    """Communities whose boundary is within ``metres`` of ``point``, nearest first."""
    p = as_point(point)
    if _is_postgis(session):
        rows = session.execute(_NEAR_SQL, {"lon": p.x, "lat": p.y, "metres": float(metres)}).all()
        return [Nearby(int(r[0]), float(r[1])) for r in rows]
    return _shapely_index(session).near(p, float(metres))


def overlapping_community_ids(session: Session, polygon, exclude_id: int | None = None) -> list[int]:
    """Ids of communities whose interior overlaps ``polygon`` (touching is allowed)."""
    if _is_postgis(session):
        session.flush()
        ids = list(session.execute(_OVERLAP_SQL, {"wkb": shapely.to_wkb(polygon)}).scalars())
    else:
        ids = _shapely_index(session).overlapping(polygon)
    return [i for i in ids if i != exclude_id]


_communes = Commune.__table__
_COMMUNE_COVERS_SQL = (select(_communes.c.id).where(func.ST_Covers(_communes.c.boundary, _pt))
                       .order_by(_communes.c.id).limit(1))
_COMMUNE_NEAREST_SQL = (select(_communes.c.id)
                        .order_by(func.ST_Distance(func.Geography(_communes.c.centre), func.Geography(_pt)),
                                  _communes.c.id).limit(1))


def find_commune_id_at(session: Session, point) -> int | None:
    """Id of the commune whose boundary holds ``point`` (the first by id), else of the one
    whose centre is nearest (geodesic metres); None without communes.

    On PostGIS the boundary test is index-backed (GiST on ``communes.boundary``) and no
    boundary leaves the database; on SQLite the boundaries are tested with Shapely."""
    p = as_point(point)
    if _is_postgis(session):
        params = {"lon": p.x, "lat": p.y}
        found = session.execute(_COMMUNE_COVERS_SQL, params).scalar()
        return found if found is not None else session.execute(_COMMUNE_NEAREST_SQL, params).scalar()
    rows = session.execute(select(_communes.c.id, _communes.c.boundary, _communes.c.centre)
                           .order_by(_communes.c.id)).all()
    for commune_id, boundary, _centre in rows:
        if boundary is not None and boundary.covers(p):
            return commune_id
    if not rows:
        return None
    return min(rows, key=lambda r: (abs(geod().inv(r[2].x, r[2].y, p.x, p.y)[2]), r[0]))[0]


@dataclass(frozen=True)
class SizeCheck:
    ok: bool
    area_m2: float
    message: str = ""


def check_boundary_size(polygon, min_m2: float, max_m2: float) -> SizeCheck:
    """Is the area acceptable for about a hundred homes (bounds from settings)?"""
    area = area_m2(polygon)
    if area < min_m2:
        return SizeCheck(False, area, f"La délimitation est trop petite ({number(area / 10000, 2)} ha ; minimum {number(min_m2 / 10000, 2)} ha).")
    if area > max_m2:
        return SizeCheck(False, area, f"La délimitation est trop grande ({number(area / 10000, 1)} ha ; maximum {number(max_m2 / 10000, 1)} ha).")
    return SizeCheck(True, area)


def validate_polygon(polygon) -> str | None:
    """A French message when ``polygon`` is not a usable boundary, else None."""
    if polygon is None or polygon.is_empty or polygon.geom_type != "Polygon":
        return "La délimitation doit être un polygone."
    if len(polygon.exterior.coords) < 4:
        return "La délimitation doit avoir au moins trois sommets."
    if not polygon.is_valid:
        return "La délimitation se croise elle-même : déplacez les sommets pour qu'elle forme une zone simple."
    return None
