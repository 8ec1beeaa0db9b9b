"""Jumelages pages, all under /jumelages/communaute/{community_id} with a
CommunityContext: members read, référents (``community.manage``) act."""
from __future__ import annotations

import json

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.web.forms import Schema, confirmed, number_node, read
from vvs_core.web.french import number

from . import twinnings as tw

PAGE = "vvs_twinning:templates/index.pt"
STATUS_LABELS = {"proposed": "Proposé", "active": "Jumelée"}


def _outline(polygon) -> list[list[float]]:
    return [[round(x, 7), round(y, 7)] for x, y in polygon.exterior.coords][:-1]


def what_twins_share(request) -> str:
    """What twinning brings, from the hooks it answers that an enabled plugin declared
    (``vvs_alert_recipients``, ``vvs_messageable_users``): no feature named that this site lacks."""
    hooks = request.registry.vvs_plugins.hook
    parts = []
    if hasattr(hooks, "vvs_alert_recipients"):
        parts.append("reçoivent les alertes de l'autre par e-mail")
    if hasattr(hooks, "vvs_messageable_users"):
        parts.append("leurs membres peuvent s'écrire, sous leur pseudonyme seulement")
    if not parts:
        return "Deux communautés jumelées se connaissent et peuvent se retrouver sur la carte."
    return f"Deux communautés jumelées {', et '.join(parts)}."


def _max_distance(request) -> int:
    return request.registry.settings["vvs.twinning.max_distance_m"]


def page_data(request, error: str | None = None) -> dict:
    community = request.context.community
    db = request.dbsession
    can_manage = request.has_permission("community.manage")
    open_ones = tw.twinnings_of(db, community.id)
    nearby = tw.candidates(db, community, _max_distance(request))
    # Twinned communities stay on the map even if the distance setting shrank since.
    shown = {c.community.id for c in nearby}
    extra = [t for t in open_ones if t.other_id(community.id) not in shown]
    map_items = [{"name": c.community.name, "outline": _outline(c.community.boundary),
                  "state": c.twinning.status if c.twinning else "none",
                  "distance": round(c.distance_m)} for c in nearby]
    map_items += [{"name": t.other(community.id).name, "outline": _outline(t.other(community.id).boundary),
                   "state": t.status, "distance": None} for t in extra]
    layout = request.layout
    return {
        "title": f"Jumelages · {community.name}",
        "community": community,
        "active": [t for t in open_ones if t.status == "active"],
        "incoming": [t for t in open_ones if t.status == "proposed" and t.community_b_id == community.id],
        "outgoing": [t for t in open_ones if t.status == "proposed" and t.community_a_id == community.id],
        "candidates": nearby,
        "max_km": number(_max_distance(request) / 1000, 1),
        "can_manage": can_manage,
        "error": error,
        "csrf": request.session.get_csrf_token(),
        "status_labels": STATUS_LABELS,
        "what_twins_share": what_twins_share(request),
        "map_boundary": json.dumps(_outline(community.boundary)),
        "map_items": json.dumps(map_items),
        **layout.map_assets(request.static_path("vvs_twinning:static/twinning-map.js"),
                            css=[request.static_path("vvs_twinning:static/twinning.css")]),
    }


@view_config(route_name="twinning_index", renderer=PAGE, permission="community.view")
def twinning_index(request):
    return page_data(request)


def _refused(request, exc):
    request.response.status = 400
    return page_data(request, error=str(exc))


def _back(request):
    return HTTPSeeOther(request.route_path("twinning_index", community_id=request.context.community.id))


class ProposalSchema(Schema):
    """The community to propose a twinning to, one of the list (an id within PostgreSQL's INTEGER)."""
    community = number_node("Communauté", min=1, max=2**31 - 1, message="Choisissez une communauté voisine dans la liste.")


@view_config(route_name="twinning_propose", request_method="POST", renderer=PAGE, permission="community.manage")
def twinning_propose(request):
    data, error = read(request, ProposalSchema())
    try:
        if error:
            raise tw.TwinningRefused(error)
        twinning = tw.propose(request, request.context.community, data["community"], request.user,
                              _max_distance(request))
    except tw.TwinningRefused as exc:
        return _refused(request, exc)
    request.flash(f"Jumelage proposé à « {twinning.community_b.name} » : ses référents sont prévenus.", "success")
    return _back(request)


def _twinning(request):
    twinning = tw.find_twinning(request.dbsession, request.context.community.id, request.matchdict["twinning_id"])
    if twinning is None:
        raise HTTPNotFound()
    return twinning


def _answer(request, step, message):
    twinning = _twinning(request)
    here = request.context.community.id
    if step != tw.end and twinning.community_b_id != here:
        raise HTTPForbidden()  # the proposing side does not answer its own proposal
    try:
        step(request, twinning, here, request.user)
    except tw.TwinningRefused as exc:
        return _refused(request, exc)
    request.flash(message.format(other=twinning.other(here).name), "success")
    return _back(request)


@view_config(route_name="twinning_accept", request_method="POST", renderer=PAGE, permission="community.manage")
def twinning_accept(request):
    return _answer(request, tw.accept, "Jumelage avec « {other} » accepté.")


@view_config(route_name="twinning_decline", request_method="POST", renderer=PAGE, permission="community.manage")
def twinning_decline(request):
    return _answer(request, tw.decline, "Jumelage avec « {other} » refusé.")


@view_config(route_name="twinning_end", request_method="POST", renderer=PAGE, permission="community.manage")
def twinning_end(request):
    twinning, here = _twinning(request), request.context.community
    if twinning.status == "active":  # withdrawing a proposal needs no second thought: propose again
        other = twinning.other(here.id).name
        page = confirmed(request, f"Mettre fin au jumelage avec « {other} » ?",
                         f"{what_twins_share(request)} Ce ne sera plus le cas de « {here.name} » et « {other} » ; "
                         "les référents des deux communautés seront prévenus. Pour reprendre, il faudra proposer un "
                         "nouveau jumelage et qu'il soit accepté.", "Mettre fin au jumelage",
                         request.route_path("twinning_index", community_id=here.id))
        if page is not None:
            return page
    return _answer(request, tw.end, "Jumelage avec « {other} » terminé.")


