"""The rules a community's new boundary must follow, and saving it.

A référent's drawing is refused (nothing saved) when it is not a simple polygon,
overlaps another community, is too small or too large, or would leave an active
member's home outside. Each message says which rule and where, in French.
"""

import re

import shapely
from shapely.geometry import Polygon
from sqlalchemy import select

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.web.french import count
from vvs_core.models import Community, Membership, User

MAX_VERTICES = 200
# The map rounds coordinates (1e-7° ≈ 1 cm): a vertex shared with a neighbour comes
# back a hair away from it. Within this distance it is put back on the neighbour's.
SNAP_DEGREES = 1e-6
NEGLIGIBLE_OVERLAP_M2 = 1.0


class BoundaryInputError(ValueError):
    """The submitted outline cannot be read; the message is French."""


def polygon_from_points(points) -> Polygon:
    """A polygon from ``[[lon, lat], …]`` as the editor sends it (closed or not)."""
    if not isinstance(points, list) or not 3 <= len(points) <= MAX_VERTICES + 1:
        raise BoundaryInputError(f"La délimitation doit avoir entre 3 et {MAX_VERTICES} sommets.")
    coords = []
    for point in points:
        if not (isinstance(point, (list, tuple)) and len(point) == 2):
            raise BoundaryInputError("Un sommet de la délimitation est illisible.")
        try:
            lon, lat = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            raise BoundaryInputError("Un sommet de la délimitation est illisible.") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise BoundaryInputError("Un sommet de la délimitation est hors de la carte.")
        coords.append((lon, lat))
    if coords[0] == coords[-1]:
        coords = coords[:-1]
    if len(coords) < 3:
        raise BoundaryInputError("La délimitation doit avoir au moins trois sommets.")
    return Polygon(coords)


def snap_to_neighbours(dbsession, community: Community, polygon):
    """``polygon`` with the vertices that nearly touch a neighbour's outline put on it."""
    near = geo.communities_near(dbsession, polygon.centroid, 3000)
    for item in near:
        if item.community_id == community.id:
            continue
        other = dbsession.get(Community, item.community_id).boundary
        polygon = shapely.snap(polygon, other, SNAP_DEGREES)
    return polygon


def street_of(label: str) -> str:
    """'12 bis rue de Lagny 77700 Serris' → 'rue de Lagny': where, without the house."""
    text = re.sub(r"^\s*\d+\s*(bis|ter|quater)?\b[\s,]*", "", label or "", flags=re.IGNORECASE)
    text = re.sub(r"[\s,]*\d{5}\b.*$", "", text)
    return text.strip(" ,")


def members_outside(dbsession, community: Community, polygon) -> list[User]:
    """Active members whose home would be outside ``polygon`` (on the edge counts as inside)."""
    users = dbsession.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, Membership.status == "active")
        .order_by(User.id)
    ).scalars().all()
    return [u for u in users if u.home is not None and not polygon.covers(u.home)]


def outside_message(outside: list[User], polygon) -> str:
    n = len(outside)
    who = count(n, "membre de la communauté se retrouverait", "membres de la communauté se retrouveraient")
    message = f"{who} hors de la délimitation"
    # The member furthest outside tells the référent where to stretch the outline.
    furthest = max(outside, key=lambda u: polygon.exterior.distance(u.home))
    street = street_of(furthest.address_label)
    if street:
        message += f" (notamment {street})"
    return message + " : agrandissez la zone pour inclure leur domicile."


def check_new_boundary(dbsession, community: Community, polygon, settings) -> list[str]:
    """French messages for every rule ``polygon`` breaks; empty when it can be saved."""
    problem = geo.validate_polygon(polygon)
    if problem:
        return [problem]
    errors = []
    for other_id in geo.overlapping_community_ids(dbsession, polygon, exclude_id=community.id):
        other = dbsession.get(Community, other_id)
        if geo.area_m2(polygon.intersection(other.boundary)) < NEGLIGIBLE_OVERLAP_M2:
            continue  # a rounding sliver along a shared edge, not an overlap
        errors.append(f"La délimitation chevauche la communauté « {other.name} » : "
                      "déplacez les points pour ne plus empiéter sur elle.")
    size = geo.check_boundary_size(polygon, float(settings["vvs.community.min_area_m2"]),
                                   float(settings["vvs.community.max_area_m2"]))
    if not size.ok:
        errors.append(size.message)
    outside = members_outside(dbsession, community, polygon)
    if outside:
        errors.append(outside_message(outside, polygon))
    return errors


def save_boundary(request, community: Community, polygon, actor) -> None:
    """Store an accepted boundary: history event, date (it refreshes the geo cache), hook."""
    old = community.boundary
    community.boundary = polygon
    community.boundary_changed_at = utcnow()
    record_event(request.dbsession, "boundary_changed", community=community, actor=actor,
                 data={"old_area_m2": round(geo.area_m2(old)), "new_area_m2": round(geo.area_m2(polygon))})
    request.dbsession.flush()
    request.registry.vvs_plugins.hook.vvs_boundary_changed(request=request, community=community, old_boundary=old)
