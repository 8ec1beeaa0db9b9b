"""The resident's home page and the charter."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import func, select

from ..models import Community, Membership


def memberships_of(request, user):
    return request.dbsession.execute(
        select(Membership, Community).join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id, Membership.status.in_(("active", "pending")))
        .order_by(Membership.id)
    ).all()


def member_count(dbsession, community_id: int) -> int:
    return dbsession.execute(
        select(func.count(Membership.id)).where(Membership.community_id == community_id, Membership.status == "active")
    ).scalar_one()


@view_config(route_name="home", renderer="vvs_core:templates/home.pt", permission="public")
def home_view(request):
    user = request.user
    if user is None:
        return HTTPFound(request.route_path("login"))
    rows = memberships_of(request, user)
    communities = [
        {"membership": m, "community": c, "members": member_count(request.dbsession, c.id)} for m, c in rows
    ]
    activity = []
    for answer in request.registry.vvs_plugins.hook.vvs_home_activity(request=request, user=user):
        activity.extend(answer or [])
    activity.sort(key=lambda a: a.when, reverse=True)
    return {"title": "Accueil", "communities": communities, "activity": activity[:20]}


@view_config(route_name="charter", renderer="vvs_core:templates/charter.pt", permission="public")
def charter_view(request):
    return {"title": "Charte de bonne conduite"}
