"""L'annuaire of a community and the contact card of a member. Every output (HTML,
JSON, CSV, the API's) is built from ``.directory.directory_entry``, so a number a
member hides never reaches a neighbour. A mairie agent of the commune sees the
hidden numbers; each such view is written to the audit trail (once for views of the same
page, by the same person, a few minutes apart)."""
from datetime import timedelta

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from vvs_core.accounts.principals import commune_agent
from vvs_core.accounts.security import community_factory
from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.models import CommunityEvent, Membership, User, row_id

from .directory import directory_csv_lines, directory_entry, directory_page, hidden_numbers_of, revealed_hidden


def includeme(config):
    for name, pattern in (
        ("directory", "/communaute/{community_id}/annuaire"),
        ("directory_json", "/communaute/{community_id}/annuaire.json"),
        ("directory_csv", "/communaute/{community_id}/annuaire.csv"),
        ("member_card", "/communaute/{community_id}/membres/{user_id}"),
    ):
        config.add_route(name, pattern, factory=community_factory)
    config.scan(".views")


REPEAT_WINDOW = timedelta(minutes=10)


def record_hidden_views(request, community, entries) -> None:
    """One audit entry per page that showed hidden numbers to someone other than their owner."""
    record_revealed(request, community, [e["id"] for e in entries if revealed_hidden(e)])


def record_revealed(request, community, user_ids) -> None:
    """Write that the viewer saw the hidden numbers of ``user_ids`` (not their own) at this
    path — unless the journal already says so from the last few minutes: reloading a page
    wrote three identical lines in a minute (walk, staff 10)."""
    revealed = [uid for uid in user_ids if uid != request.user.id]
    if not revealed:
        return
    recent = request.dbsession.scalars(select(CommunityEvent.data).where(
        CommunityEvent.community_id == community.id, CommunityEvent.created_at >= utcnow() - REPEAT_WINDOW,
        CommunityEvent.kind == "hidden_phone_viewed", CommunityEvent.actor_id == request.user.id))
    if any(d.get("path") == request.path and set(revealed) <= set(d.get("user_ids") or ()) for d in recent):
        return
    record_event(request.dbsession, "hidden_phone_viewed", community=community, actor=request.user,
                 data={"user_ids": revealed, "path": request.path}, public=False)


def page_of_entries(request):
    """The page of the directory asked for (``?page=``, ``?q=``), its hidden numbers audited."""
    community = request.context.community
    page = directory_page(request, community, request.params.get("q", ""))
    record_hidden_views(request, community, page.items)
    return page


@view_config(route_name="directory", renderer="vvs_directory:templates/directory.pt", permission="community.view")
def directory_view(request):
    community = request.context.community
    page = page_of_entries(request)
    return {"title": f"Annuaire — {community.name}", "community": community, "entries": page.items,
            "pagination": page, "query": request.params.get("q", "")[:80],
            "extra_css": [request.layout.static("css/resident.css")]}


@view_config(route_name="directory_json", renderer="json", permission="community.view")
def directory_json_view(request):
    """A page of the directory, as the HTML page (``?page=``, ``?q=``), with its position."""
    page = page_of_entries(request)
    return {"community": request.context.community.name, "members": page.items, "page": page.number,
            "pages": page.pages, "total": page.total, "next": page.next_url}


@view_config(route_name="directory_csv", permission="community.view")
def directory_csv_view(request):
    """The whole directory, streamed (a community of thousands is never held in memory).
    The hidden numbers it shows an agent are audited before it starts."""
    community = request.context.community
    insee = community.commune.insee
    principals = list(request.principals)
    if commune_agent(insee) in principals:  # who sees the numbers others hide (directory_entry)
        record_revealed(request, community, hidden_numbers_of(request.dbsession, community.id))
    lines = directory_csv_lines(request.registry["dbsession_factory"], principals, community.id, insee)
    response = Response(app_iter=(line.encode("utf-8") for line in lines), content_type="text/csv", charset="utf-8")
    response.content_disposition = 'attachment; filename="annuaire.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@view_config(route_name="member_card", renderer="vvs_directory:templates/directory_card.pt", permission="community.view")
def member_card_view(request):
    community = request.context.community
    if (user_id := row_id(request.matchdict["user_id"])) is None:
        raise HTTPNotFound()
    row = request.dbsession.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(User.id == user_id, Membership.community_id == community.id, Membership.status == "active",
               User.status != "closed")).first()
    if row is None:
        raise HTTPNotFound()
    user, membership = row
    entry = directory_entry(request.principals, user, commune_insee=community.commune.insee, role=membership.role)
    record_hidden_views(request, community, [entry])
    return {"title": entry["name"], "community": community, "entry": entry,
            "extra_css": [request.layout.static("css/resident.css")]}
