"""The resident's home page and the charter."""
from __future__ import annotations

from functools import cache
from types import SimpleNamespace

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import bindparam, select

from vvs_core.communities.members import member_count_sql
from vvs_core.models import Community, Membership
from vvs_core.accounts.security import effective_validation_mode, user_scopes
from vvs_core.communities.views import community_links

WHO_DECIDES = {"platform": "l'équipe de la plateforme", "referent": "le référent de la communauté",
               "mairie": "la mairie"}


@cache
def _memberships_statement():
    """Built once per process: building this select (aliases, a subquery) cost an uncached
    home page more than running it (issue 16's profile)."""
    return (select(Membership, Community, member_count_sql(Community.id))
            .join(Community, Community.id == Membership.community_id)
            .where(Membership.user_id == bindparam("user_id"), Membership.status.in_(("active", "pending")))
            .order_by(Membership.id))


def includeme(config):
    config.add_route("home", "/")
    config.add_route("charter", "/charte")
    config.scan(".home")


def memberships_of(request, user):
    """(membership, community, member count) of ``user``'s active and pending
    memberships, in one query."""
    return request.dbsession.execute(_memberships_statement(), {"user_id": user.id}).all()


def recent_activity(request, user, limit: int = 20) -> list:
    activity = []
    for answer in request.registry.vvs_plugins.hook.vvs_home_activity(request=request, user=user):
        activity.extend(answer or [])
    activity.sort(key=lambda a: a.when, reverse=True)
    return activity[:limit]


def community_summary(request, membership, community, members: int, links: list) -> dict:
    """Plain data (it is cached beyond this request's session)."""
    active = membership.status == "active"
    return {
        "membership": SimpleNamespace(status=membership.status, role=membership.role),
        "community": SimpleNamespace(id=community.id, name=community.name),
        "members": members,
        "url": request.route_path("community", community_id=community.id) if active else None,
        "decides": WHO_DECIDES.get(effective_validation_mode(request, community), "") if not active else "",
        "links": [SimpleNamespace(label=link.label, url=link.url, note=link.note) for link in links] if active else [],
    }


@view_config(route_name="home", renderer="vvs_core:communities/templates/home.pt", permission="public")
def home_view(request):
    user = request.user
    if user is None:
        return HTTPFound(request.route_path("login"))

    def summary():
        rows = memberships_of(request, user)
        links = community_links(request, [c for m, c, _n in rows if m.status == "active"], "home")
        return {"communities": [community_summary(request, m, c, n, links.get(c.id, [])) for m, c, n in rows],
                "activity": recent_activity(request, user)}

    return {"title": "Accueil", "greeting": user.first_name or user.display_pseudonym,
            **request.cached(("home", user.id, request.locale_name), summary, tables=("memberships",),
                             scope=user_scopes(request)),
            "extra_css": [request.layout.static("css/resident.css")]}


@view_config(route_name="charter", renderer="vvs_core:accounts/templates/charter.pt", permission="public")
def charter_view(request):
    return {"title": "Charte de bonne conduite"}
