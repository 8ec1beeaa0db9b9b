"""« Ma communauté »: movements, history, information, référents, validation mode,
rename, plugin panels, the map of the boundary, and its editor for référents."""

import json

import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vvs_core import geo
from vvs_core.web.batch import resolve_panels
from vvs_core.communities.boundaries import (BoundaryInputError, check_new_boundary, polygon_from_points, save_boundary,
                          snap_to_neighbours)
from vvs_core.communities.events import describe_data, event_label, record_event
from vvs_core.web.french import de, number
from vvs_core.communities.members import referents_and_count
from vvs_core.web import route_exists
from vvs_core.web.forms import Schema, choice_node, make_form, posted, text_node, typed
from vvs_core.web.jsonlimits import TooLarge, loads_limited
from vvs_core.web.pagination import page_number
from vvs_core.communities.membership import clean_name, communities_by_id, community_name_problem
from vvs_core.models import Community, CommunityEvent
from vvs_core.accounts.security import community_factory
from vvs_core.communities.modes import effective_validation_mode, imposed_mode, mode_of, validation_modes

MOVEMENTS_SHOWN = 10
HISTORY_PAGE = 50


def includeme(config):
    for name, pattern in (
        ("community", "/communaute/{community_id}"),
        ("community_history", "/communaute/{community_id}/historique"),
        ("community_edit", "/communaute/{community_id}/modifier"),
        ("community_boundary", "/communaute/{community_id}/delimitation"),
    ):
        config.add_route(name, pattern, factory=community_factory)
    config.scan(".views")


# --- Reading a community ----------------------------------------------------------

def events_query(community_id: int, include_private: bool):
    # The people a line names come in the same statement.
    stmt = select(CommunityEvent).where(CommunityEvent.community_id == community_id).options(
        joinedload(CommunityEvent.subject_user), joinedload(CommunityEvent.actor))
    if not include_private:
        stmt = stmt.where(CommunityEvent.public.is_(True))
    return stmt.order_by(CommunityEvent.created_at.desc(), CommunityEvent.id.desc())


def describe_event(registry, event: CommunityEvent) -> str:
    """One French line for a movement; never a hidden number or an address."""
    text = event_label(registry, event.kind)
    data = event.data or {}
    if event.subject_user is not None:
        text += f" : {event.subject_user.full_name}"
    if event.kind == "renamed" and data.get("new"):
        text += f" : « {data.get('old', '')} » devient « {data['new']} »"
    elif event.kind == "boundary_changed" and data.get("new_area_m2"):
        text += f" ({number(data.get('old_area_m2', 0) / 10000, 1)} ha → {number(data['new_area_m2'] / 10000, 1)} ha)"
    elif event.kind == "validation_mode_changed" and data.get("new"):
        text += f" : {mode_of(registry, data['new']).label.lower()}"
    text += describe_data(registry, event)
    if event.actor is not None and event.kind in ("boundary_changed", "renamed", "validation_mode_changed"):
        text += f" — par {event.actor.full_name}"
    return text


def event_rows(registry, events) -> list[dict]:
    return [{"when": e.created_at, "text": describe_event(registry, e), "public": e.public} for e in events]


def outline(polygon) -> list[list[float]]:
    """Exterior ring as [[lon, lat], …] without the closing point, for the map scripts."""
    coords = [[round(x, 7), round(y, 7)] for x, y in polygon.exterior.coords]
    return coords[:-1]


def neighbours_outlines(dbsession, community: Community, metres: float = 1500) -> list[dict]:
    centre = community.boundary.centroid
    ids = [near.community_id for near in geo.communities_near(dbsession, centre, metres) if near.community_id != community.id]
    others = communities_by_id(dbsession, ids)
    return [{"name": others[i].name, "outline": outline(others[i].boundary)} for i in ids if i in others]


def map_data(request, community: Community, with_neighbours: bool) -> dict:
    data = {"boundary": json.dumps(outline(community.boundary))}
    data["neighbours"] = json.dumps(neighbours_outlines(request.dbsession, community) if with_neighbours else [])
    return data


def leaflet_assets(request, script: str) -> dict:
    layout = request.layout
    return layout.map_assets(layout.static(f"js/{script}"), css=[layout.static("css/resident.css")])


def plugin_panels(request, community) -> list:
    hook = request.registry.vvs_plugins.hook.vvs_community_panels
    panels = [panel for answer in hook(request=request, community=community) for panel in answer or []]
    return sorted(resolve_panels(request, panels), key=lambda p: (p.order, p.title))


def community_links(request, communities, place: str) -> dict[int, list]:
    """The links plugins add under each community (``vvs_community_links``), by community id."""
    found: dict[int, list] = {c.id: [] for c in communities}
    if not communities:
        return found
    for answer in request.registry.vvs_plugins.hook.vvs_community_links(request=request, communities=list(communities),
                                                                         place=place):
        for link in answer or []:
            if link.community_id in found:
                found[link.community_id].append(link)
    return {cid: sorted(links, key=lambda link: link.order) for cid, links in found.items()}


def imposed_by(request, community, imposed: str | None) -> str:
    """Who fixed the mode ``imposed`` (its ``imposed_by``, « … de Serris »), for the référent's pages."""
    return (mode_of(request.registry, imposed).imposed_by or "la commune {commune}").format(
        commune=de(community.commune.name)) if imposed else ""


@view_config(route_name="community", renderer="vvs_core:communities/templates/community.pt", permission="community.view")
def community_view(request):
    context = request.context
    community = context.community
    db = request.dbsession
    events = db.execute(events_query(community.id, False).limit(MOVEMENTS_SHOWN)).scalars().all()
    imposed = imposed_mode(request, community)
    referents, members = referents_and_count(db, community.id)
    return {
        "title": community.name,
        "community": community,
        "commune": community.commune,
        "members": members,
        "referents": referents,
        "cards": route_exists(request, "member_card"),  # the members' contact cards, when a plugin serves them
        "mode_label": mode_of(request.registry, effective_validation_mode(request, community)).label,
        "imposed": imposed, "imposed_by": imposed_by(request, community, imposed),
        "movements": event_rows(request.registry, events),
        "panels": plugin_panels(request, community),
        "can_manage": request.has_permission("community.manage", context),
        "links": community_links(request, [community], "community")[community.id],
        "map": map_data(request, community, with_neighbours=False),
        **leaflet_assets(request, "community-map.js"),
    }


@view_config(route_name="community_history", renderer="vvs_core:communities/templates/community_history.pt",
             permission="community.view")
def community_history_view(request):
    community = request.context.community
    page = page_number(request)
    # référents, the commune's agents and the platform team also see the non-public entries
    stmt = events_query(community.id, any(request.has_permission(p, request.context) for p in ("community.manage", "community.oversee")))
    events = request.dbsession.execute(stmt.offset((page - 1) * HISTORY_PAGE).limit(HISTORY_PAGE + 1)).scalars().all()
    return {"title": f"Historique — {community.name}", "community": community,
            "events": event_rows(request.registry, events[:HISTORY_PAGE]), "page": page, "has_next": len(events) > HISTORY_PAGE,
            "extra_css": [request.layout.static("css/resident.css")]}


# --- Editing: name and validation mode ---------------------------------------------

def edit_schema(imposed: str | None, modes: dict):
    schema = Schema()
    schema.add(text_node("Nom de la communauté", name="name", min=3, max=120, too_short="Le nom doit comporter au moins 3 caractères.",
                         too_long="Le nom doit comporter au plus 120 caractères.", widget=deform.widget.TextInputWidget()))
    schema.add(text_node("Description", name="description", max=1000, required=False, widget=deform.widget.TextAreaWidget(rows=3),
                         too_long="La description doit comporter au plus 1000 caractères ({length} saisis)."))
    if not imposed:
        schema.add(choice_node("validation_mode", "Mode de validation des nouveaux voisins",
                               [(m.key, m.label) for m in modes.values()]))
    return schema


@view_config(route_name="community_edit", renderer="vvs_core:communities/templates/community_edit.pt",
             permission="community.manage")
def community_edit_view(request):
    community = request.context.community
    imposed = imposed_mode(request, community)
    form = make_form(request, edit_schema(imposed, validation_modes(request.registry)), "Enregistrer", formid="communaute")
    page = {"title": "Modifier les informations", "community": community, "imposed": imposed,
            "imposed_label": mode_of(request.registry, imposed).label, "imposed_by": imposed_by(request, community, imposed),
            "extra_css": [request.layout.static("css/resident.css")]}
    shown = effective_validation_mode(request, community)  # a mode nobody declares shows as the platform's
    data, rendered = posted(request, form, values={"name": community.name, "description": community.description,
                                                   "validation_mode": shown}, check=lambda data: {
        "name": "name" in data and community_name_problem(request.dbsession, community.commune, data["name"],
                                                          renaming=community)})
    if data is None:
        return {**page, "form": rendered}
    user = request.user
    data["name"] = clean_name(data["name"])
    if data["name"] != community.name:
        record_event(request.dbsession, "renamed", community=community, actor=user,
                     data={"old": community.name, "new": data["name"]})
        community.name = data["name"]
    community.description = data["description"].strip()
    mode = data.get("validation_mode")
    if mode and not imposed and mode != shown:  # the stored mode stays until the référent picks another
        record_event(request.dbsession, "validation_mode_changed", community=community, actor=user,
                     data={"old": community.validation_mode, "new": mode})
        community.validation_mode = mode
    request.flash("Les informations de la communauté sont enregistrées.", "success")
    return HTTPSeeOther(request.route_path("community", community_id=community.id))


# --- Delimitation ------------------------------------------------------------------

def boundary_page(request, community, errors=(), proposed=None) -> dict:
    settings = request.registry.settings
    data = map_data(request, community, with_neighbours=True)
    data["proposed"] = json.dumps(proposed) if proposed else ""
    return {
        "title": "Délimitation de votre communauté", "community": community, "errors": list(errors), "map": data,
        "min_ha": float(settings["vvs.community.min_area_m2"]) / 10000,
        "max_ha": float(settings["vvs.community.max_area_m2"]) / 10000,
        "area_ha": geo.area_m2(community.boundary) / 10000,
        "back_url": (request.route_path("community", community_id=community.id)
                     if request.has_permission("community.view", request.context) else request.route_path("activation")),
        **leaflet_assets(request, "boundary-editor.js"),
    }


BOUNDARY_MAX_BYTES = 20000


@view_config(route_name="community_boundary", renderer="vvs_core:communities/templates/community_boundary.pt",
             permission="community.boundary")
def community_boundary_view(request):
    community = request.context.community
    if request.method != "POST":
        return boundary_page(request, community)
    raw = typed(request, "boundary")["boundary"]
    try:
        points = loads_limited(raw, BOUNDARY_MAX_BYTES, max_depth=4)  # [[lon, lat], …]
        polygon = snap_to_neighbours(request.dbsession, community, polygon_from_points(points))
    except (ValueError, BoundaryInputError) as exc:
        request.response.status = 413 if isinstance(exc, TooLarge) else 400
        message = (str(exc) if isinstance(exc, BoundaryInputError)
                   else "La délimitation envoyée est trop longue : 20 000 caractères au plus." if isinstance(exc, TooLarge)
                   else "La délimitation envoyée est illisible.")
        return boundary_page(request, community, [message])
    errors = check_new_boundary(request.dbsession, community, polygon, request.registry.settings)
    if errors:
        request.response.status = 400
        return boundary_page(request, community, errors, proposed=outline(polygon))
    save_boundary(request, community, polygon, request.user)
    request.flash("La nouvelle délimitation est enregistrée.", "success")
    if not request.has_permission("community.view", request.context):  # its creator, still waiting
        return HTTPSeeOther(request.route_path("activation"))
    return HTTPSeeOther(request.route_path("community", community_id=community.id))

