"""L'annuaire of a community and the contact card of a member. Every output (HTML,
JSON, CSV) is built from ``vvs_core.directory.directory_entry``, so a number a
member hides never reaches a neighbour. A mairie agent of the commune sees the
hidden numbers; each such view is written to the audit trail."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from ..directory import directory, directory_csv, directory_entry, revealed_hidden
from ..events import record_event
from ..models import Membership, User
from ..security import community_factory


def includeme(config):
    for name, pattern in (
        ("directory", "/communaute/{community_id}/annuaire"),
        ("directory_json", "/communaute/{community_id}/annuaire.json"),
        ("directory_csv", "/communaute/{community_id}/annuaire.csv"),
        ("member_card", "/communaute/{community_id}/membres/{user_id}"),
    ):
        config.add_route(name, pattern, factory=community_factory)
    config.scan(".directory")


def record_hidden_views(request, community, entries) -> None:
    """One audit entry per page that showed hidden numbers to someone other than their owner."""
    revealed = [e["id"] for e in entries if revealed_hidden(e) and e["id"] != request.user.id]
    if revealed:
        record_event(request.dbsession, "hidden_phone_viewed", community=community, actor=request.user,
                     data={"user_ids": revealed, "path": request.path}, public=False)


def entries_for(request) -> list[dict]:
    community = request.context.community
    query = request.params.get("q", "")
    entries = directory(request.principals, request.dbsession, community, query)
    record_hidden_views(request, community, entries)
    return entries


@view_config(route_name="directory", renderer="vvs_core:templates/directory.pt", permission="community.view")
def directory_view(request):
    community = request.context.community
    entries = entries_for(request)
    return {"title": f"Annuaire — {community.name}", "community": community, "entries": entries,
            "query": request.params.get("q", "")[:80],
            "extra_css": [request.layout.static("css/resident.css")]}


@view_config(route_name="directory_json", renderer="json", permission="community.view")
def directory_json_view(request):
    return {"community": request.context.community.name, "members": entries_for(request)}


@view_config(route_name="directory_csv", permission="community.view")
def directory_csv_view(request):
    body = "\ufeff" + directory_csv(entries_for(request))  # BOM: spreadsheets then read UTF-8
    response = Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.content_disposition = 'attachment; filename="annuaire.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@view_config(route_name="member_card", renderer="vvs_core:templates/directory_card.pt", permission="community.view")
def member_card_view(request):
    community = request.context.community
    raw = request.matchdict["user_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise HTTPNotFound()
    row = request.dbsession.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(User.id == int(raw), Membership.community_id == community.id, Membership.status == "active",
               User.status != "closed")).first()
    if row is None:
        raise HTTPNotFound()
    user, membership = row
    entry = directory_entry(request.principals, user, commune_insee=community.commune.insee, role=membership.role)
    record_hidden_views(request, community, [entry])
    return {"title": entry["name"], "community": community, "entry": entry,
            "extra_css": [request.layout.static("css/resident.css")]}
