"""Communities the platform team creates and edits from the administration (walk of the
staff: the team could neither create a community nor correct its name or its boundary).

The boundary is drawn with the référents' editor (``vvs_core/static/js/boundary-editor.js``)
and checked by the référents' rules (``vvs_core.communities.boundaries``): a simple polygon,
no overlap, an acceptable size, every active member's home inside; the team's pages add
that it stays in its commune. Every refusal is a French sentence and changes nothing; every
change is recorded in the journal with its reason, and in the community's movements as the
référents' changes are (« Création de la communauté », « Communauté renommée »,
« Délimitation modifiée »).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import select

from vvs_admin.accounts import AdminActionRefused, ChangedMeanwhile
from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.communities.boundaries import (BoundaryInputError, check_new_boundary, polygon_from_points, save_boundary,
                                             snap_to_neighbours)
from vvs_core.communities.events import record_event
from vvs_core.communities.membership import (MembershipBlocked, MembershipError, add_community, clean_name,
                                             community_name_problem, communities_by_id, current_membership, decide,
                                             set_referent)
from vvs_core.communities.views import outline
from vvs_core.models import Commune, Community, Membership, User
from vvs_core.web.french import de, number
from vvs_core.web.jsonlimits import TooLarge, loads_limited

BOUNDARY_MAX_BYTES = 20000
# A commune whose limits are not recorded (``communes.boundary`` empty): its communities stay
# within this distance of its town hall (the largest metropolitan communes, Arles, Val-Cenis,
# reach about 25 km from theirs).
MAX_FROM_TOWN_HALL_M = 20000
SNAP_DEGREES = 1e-6  # as the référents' editor: a vertex a rounding outside is inside


@dataclass
class Drawing:
    """A boundary the team sent: the polygon read (None when unreadable) and what is wrong."""
    polygon: object = None
    errors: list[str] = field(default_factory=list)

    @property
    def outline(self) -> list | None:
        return outline(self.polygon) if self.polygon is not None and not self.polygon.is_empty else None


def ring_of(data):
    """The points of what the editor sends (``[[lon, lat], …]``) or of a GeoJSON polygon pasted
    from a GIS tool (``{"type": "Polygon", "coordinates": [[…]]}``, or a Feature holding one)."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if isinstance(data, dict):
        coordinates = data.get("coordinates") if data.get("type") == "Polygon" else None
        if not (isinstance(coordinates, list) and len(coordinates) == 1):
            raise BoundaryInputError("Un objet GeoJSON n'est accepté que s'il décrit un seul polygone sans trou.")
        return coordinates[0]
    return data


def read_drawing(request, raw: str, community, commune: Commune | None, current=None) -> Drawing:
    """The boundary ``raw`` (JSON) of ``community`` (a stand-in with ``id=None`` for a new one),
    read and checked against the référents' rules and ``commune``'s limits. A drawing that
    is ``current`` (the boundary saved) within the map's rounding (1e-7°) is no change: an empty
    ``Drawing`` (a rename is not refused by a rule the old boundary predates)."""
    db = request.dbsession
    if not raw:
        return Drawing(errors=["Tracez la délimitation de la communauté sur la carte."])
    try:
        polygon = polygon_from_points(ring_of(loads_limited(raw, BOUNDARY_MAX_BYTES, max_depth=5)))
    except TooLarge:
        return Drawing(errors=["La délimitation envoyée est trop longue : 20 000 caractères au plus."])
    except BoundaryInputError as exc:
        return Drawing(errors=[str(exc)])
    except ValueError:
        return Drawing(errors=["La délimitation envoyée est illisible."])
    if not polygon.is_valid:  # snapping a self-crossing outline fails: say what is wrong with it
        return Drawing(polygon, [geo.validate_polygon(polygon)])
    if current is not None and polygon.hausdorff_distance(current) < SNAP_DEGREES:  # about 10 cm
        return Drawing()
    polygon = snap_to_neighbours(db, community, polygon)
    errors = check_new_boundary(db, community, polygon, request.registry.settings)
    if commune is not None and geo.validate_polygon(polygon) is None:
        errors += commune_problems(db, commune, polygon)
    return Drawing(polygon, errors)


def commune_problems(db, commune: Commune, polygon) -> list[str]:
    """The boundary leaves ``commune``: outside its recorded limits, nearer another commune's
    town hall, or (limits not recorded) too far from its own."""
    limits = db.scalar(select(Commune.boundary).where(Commune.id == commune.id))
    if limits is not None:
        if not limits.buffer(SNAP_DEGREES).covers(polygon):
            return [f"La délimitation sort de la commune {de(commune.name)} : ramenez ses sommets à l'intérieur "
                    "de ses limites, ou choisissez la commune où se trouve la zone."]
        return []
    other_id = geo.find_commune_id_at(db, polygon.representative_point())
    if other_id is not None and other_id != commune.id:
        other = db.get(Commune, other_id)
        return [f"La zone tracée est dans la commune {de(other.name)}, pas dans celle {de(commune.name)} : "
                f"choisissez {other.name} dans la liste, ou tracez la zone dans la commune {de(commune.name)}."]
    centre, farthest = commune.centre, 0.0
    for lon, lat in polygon.exterior.coords:
        farthest = max(farthest, abs(geo.geod().inv(centre.x, centre.y, lon, lat)[2]))
    if farthest > MAX_FROM_TOWN_HALL_M:
        return [f"Un sommet de la délimitation est à {round(farthest / 1000)} km de la mairie {de(commune.name)} : "
                f"la zone sort de la commune (à moins de {MAX_FROM_TOWN_HALL_M // 1000} km de la mairie). Choisissez la "
                "commune où elle se trouve, ou ramenez ses sommets."]
    return []


def starting_boundary(request, commune: Commune):
    """(the square a new community's drawing starts from, the communities around it): the
    first square of the default size, on a spiral out from ``commune``'s town hall, that
    overlaps no community (the town hall's own square when all within 3 km are taken).
    Two statements whatever the number of neighbours; the rest in Shapely."""
    import shapely
    from shapely.geometry import Point

    db, side = request.dbsession, float(request.registry.settings["vvs.community.default_size_m"])
    near = [n.community_id for n in geo.communities_near(db, commune.centre, STARTING_SEARCH_M)]
    around = list(communities_by_id(db, near).values())
    taken = shapely.union_all([c.boundary for c in around]) if around else None
    centre = geo.to_l93(commune.centre)
    for step in range(int(STARTING_SEARCH_M / side)):
        for dx, dy in ((0, 0),) if step == 0 else SPIRAL:
            square = geo.square_around(geo.from_l93(Point(centre.x + dx * step * side * 1.2,
                                                          centre.y + dy * step * side * 1.2)), side)
            if taken is None or not taken.intersects(square):
                return square, around
    return geo.square_around(commune.centre, side), around


STARTING_SEARCH_M = 3000
SPIRAL = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))


def new_community_standin():
    """What the boundary rules need of a community not created yet: no id (no member, no self)."""
    return SimpleNamespace(id=None)


def name_problem(db, commune: Commune | None, name: str, renaming: Community | None = None) -> str | None:
    return community_name_problem(db, commune, name, renaming) if commune is not None else None


# --- The first référent -------------------------------------------------------------

def first_referent(db, email: str, polygon) -> User | None:
    """The account at ``email`` to be the new community's first référent (None: nobody named),
    refused in French when it cannot: no such account, closed or blocked, already in a
    community, or living outside the boundary."""
    from sqlalchemy import func

    if not email:
        return None
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise AdminActionRefused(f"Aucun compte n'a l'adresse « {email.strip()} » : le premier référent doit déjà "
                                 "avoir un compte.")
    if user.status != "active":
        raise AdminActionRefused(f"Le compte de {user.full_name} n'est pas actif : il ne peut pas être référent.")
    current = current_membership(db, user)
    if current is not None:
        other = db.get(Community, current.community_id)
        raise AdminActionRefused(f"{user.full_name} fait déjà partie de la communauté « {other.name} » (ou l'a "
                                 "demandé) : un habitant n'a qu'une communauté.")
    if user.home is not None and polygon is not None and not polygon.covers(user.home):
        raise AdminActionRefused(f"Le domicile de {user.full_name} est hors de la délimitation : agrandissez la zone, "
                                 "ou nommez un habitant du quartier.")
    return user


def appoint_first_referent(request, community: Community, user: User, reason: str) -> None:
    """``user`` joins ``community`` (accepted by the team, so plugins and the person hear of it as
    of any acceptance) and becomes its référent (``set_referent``: movement, journal, e-mail)."""
    db = request.dbsession
    membership = Membership(user_id=user.id, community_id=community.id, role="member", status="pending",
                            requested_at=utcnow())
    db.add(membership)
    db.flush()
    try:
        decide(request, membership, True, "", request.user)
        set_referent(request, community, user.id, True, request.user, reason, by="platform")
    except MembershipBlocked as exc:
        raise AdminActionRefused(f"{user.full_name} ne peut pas encore rejoindre la communauté : "
                                 f"{' ; '.join(exc.reasons)}.") from None
    except MembershipError as exc:
        raise AdminActionRefused(str(exc)) from None


# --- Creating and editing ----------------------------------------------------------

def create_community(request, commune: Commune, data: dict, polygon, referent: User | None = None) -> Community:
    """A new community of ``commune`` (``data``: the form's name, description, address_label, mode
    and reason) with the boundary the team drew (already checked). The
    commune's row is locked first: two administrators drawing in the same commune at once
    are checked one after the other, so their communities cannot overlap."""
    db = request.dbsession
    db.scalar(select(Commune.id).where(Commune.id == commune.id).with_for_update())
    recheck = check_new_boundary(db, new_community_standin(), polygon, request.registry.settings)
    problem = name_problem(db, commune, data["name"])
    if recheck or problem:  # another community was saved meanwhile
        raise ChangedMeanwhile(f"{(recheck or [problem])[0]} (une autre communauté vient d'être enregistrée). "
                               "Rien n'a été créé.")
    with db.begin_nested():  # a first référent refused (a plugin's blocker) leaves no community behind
        community = add_community(request, commune, clean_name(data["name"]), polygon, request.user,
                                  description=data["description"], address_label=clean_name(data["address_label"]),
                                  validation_mode=data["mode"])
        record_event(db, "admin_community_created", community=community, actor=request.user, public=False,
                     data={"reason": data["reason"], "communaute": community.name, "commune": commune.name,
                           "changement": f"{commune.name}, {number(geo.area_m2(polygon) / 10000, 1)} ha"})
        if referent is not None:
            appoint_first_referent(request, community, referent, data["reason"])
    return community


def community_state(community: Community) -> str:
    """What the edit page showed of ``community`` (name, description, boundary's date), as a
    short digest: the form sends it back so a change made meanwhile is not silently undone."""
    seen = "\x1f".join((community.name, community.description or "", community.address_label or "",
                         community.boundary_changed_at.isoformat()))
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def edit_community(request, community: Community, data: dict, polygon) -> list[str]:
    """Change ``community``'s name, description, address and boundary (``polygon``, None: kept),
    any of them, as ``data`` (the form) says; returns the French names of what changed. The row
    is locked, then compared with what the page showed (``data["etat"]``): a second
    administrator is told it changed meanwhile."""
    db = request.dbsession
    db.scalar(select(Community.id).where(Community.id == community.id).with_for_update())
    db.refresh(community)
    if community.archived_at is not None:
        raise ChangedMeanwhile("Un autre membre de l'équipe a archivé cette communauté entre-temps.")
    if data["etat"] != community_state(community):
        raise ChangedMeanwhile("Un autre membre de l'équipe (ou un référent) a modifié cette communauté entre-temps : "
                               "voici son état actuel. Vérifiez-le, puis recommencez si c'est encore utile.")
    name, description, changed = clean_name(data["name"]), data["description"], []
    if name != community.name:
        changed.append(f"nom : « {community.name} » → « {name} »")
        record_event(db, "renamed", community=community, actor=request.user, data={"old": community.name, "new": name})
        community.name = name
    if description != (community.description or ""):
        community.description = description
        changed.append("description")
    if clean_name(data["address_label"]) != (community.address_label or ""):
        community.address_label = clean_name(data["address_label"])
        changed.append("adresse repère")
    if polygon is not None and not polygon.equals(community.boundary):
        changed.append(f"délimitation : {number(geo.area_m2(community.boundary) / 10000, 1)} ha → "
                       f"{number(geo.area_m2(polygon) / 10000, 1)} ha")
        save_boundary(request, community, polygon, request.user)
    if not changed:
        raise AdminActionRefused("Rien n'a changé.")
    record_event(db, "admin_community_edited", community=community, actor=request.user, public=False,
                 data={"reason": data["reason"], "communaute": community.name, "changement": " ; ".join(changed)})
    db.flush()
    return changed
