"""The resident's home page and the charter."""

from functools import cache
from types import SimpleNamespace

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import bindparam, select

from vvs_core.communities.members import member_count_sql
from vvs_core.models import Community, Membership
from vvs_core.accounts.security import user_scopes
from vvs_core.communities.membership import decider_label
from vvs_core.communities.views import community_links
from vvs_core.web.batch import json_rows, read_later


def includeme(config):
    config.add_route("home", "/")
    config.add_route("charter", "/charte")
    config.scan(".home")


@cache
def memberships_read():
    """``home_user_id``'s memberships with member counts, for the page's batch; built once (building cost more)."""
    return json_rows(select(Membership.status.label("status"), Membership.role.label("role"), Community.id.label("id"),
                            Community.name.label("name"), Community.commune_id.label("commune_id"),
                            Membership.decision_reason.label("reason"), Community.archived_at.label("archived_at"),
                            member_count_sql(Community.id).label("members"))
                     .join(Community, Community.id == Membership.community_id)
                     .where(Membership.user_id == bindparam("home_user_id"),
                            Membership.status.in_(("active", "pending", "rejected", "left"))).order_by(Membership.id))


def recent_activity(request, user, limit: int = 20):
    """The newest ``vvs_home_activity`` (lists, or ``ReadThen`` read with the page's other reads), when called."""
    items = read_later(request, request.registry.vvs_plugins.hook.vvs_home_activity(request=request, user=user))
    return lambda: sorted(items(), key=lambda a: a.when, reverse=True)[:limit]


def community_summary(request, row, links: list) -> dict:
    """Plain data (it is cached beyond this request's session), from a ``memberships_read`` row."""
    active = row.status == "active"
    return {
        "membership": SimpleNamespace(status=row.status, role=row.role),
        "community": SimpleNamespace(id=row.id, name=row.name),
        "members": row.members,
        "url": request.route_path("community", community_id=row.id) if active else None,
        "decides": "" if active else decider_label(request, request.dbsession.get(Community, row.id)),
        "links": [SimpleNamespace(label=link.label, url=link.url, note=link.note) for link in links] if active else [],
    }


@view_config(route_name="home", renderer="vvs_core:communities/templates/home.pt", permission="public")
def home_view(request):
    user = request.user
    if user is None:
        return HTTPFound(request.route_path("login"))

    def summary():
        rows = request.page_reads.add(memberships_read(), home_user_id=user.id)
        activity = recent_activity(request, user)
        request.layout.menu  # noqa: B018 (the header's badges, when not cached, join the same statement)
        links = community_links(request, [r for r in rows.value if r.status == "active"], "home")
        live = [r for r in rows.value if r.status in ("active", "pending")]  # else the last one ended says why
        return {"communities": [community_summary(request, r, links.get(r.id, [])) for r in live],
                "activity": activity(), "ended": None if live else (rows.value or [None])[-1]}

    return {"title": "Accueil", "greeting": user.first_name or user.display_pseudonym,
            **request.cached(("home", user.id, request.locale_name), summary, tables=("memberships",),
                             scope=user_scopes(request)),
            "extra_css": [request.layout.static("css/resident.css")]}


@view_config(route_name="charter", renderer="vvs_core:accounts/templates/charter.pt", permission="public")
def charter_view(request):
    return {"title": "Charte de bonne conduite"}
