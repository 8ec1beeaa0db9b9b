"""The platform team's "Administration" page: communes, communities, member counts.
(The team's validation queue is at /admin/demandes, in views/validation.py.)"""
from __future__ import annotations

from pyramid.events import BeforeRender, subscriber
from pyramid.renderers import render
from pyramid.view import view_config
from sqlalchemy import func, select

from vvs_core.models import Commune, Community, Membership, User
from vvs_core.web import route_exists
from vvs_core.web.textsearch import folded

from vvs_admin.communes import mode_name


def includeme(config):
    config.add_route("admin", "/admin")
    config.scan(".views")


def community_rows(dbsession) -> dict[int, list[dict]]:
    """Communities by commune id, each with its active, pending and référent counts."""
    counts = {}
    for community_id, status, role, n in dbsession.execute(
            select(Membership.community_id, Membership.status, Membership.role, func.count(Membership.id))
            .group_by(Membership.community_id, Membership.status, Membership.role)):
        c = counts.setdefault(community_id, {"active": 0, "pending": 0, "referents": 0})
        if status in ("active", "pending"):
            c[status] += n
        if status == "active" and role == "referent":
            c["referents"] += n
    out: dict[int, list[dict]] = {}
    for community in dbsession.execute(select(Community).order_by(folded(Community.name))).scalars():
        out.setdefault(community.commune_id, []).append(
            {"community": community, **counts.get(community.id, {"active": 0, "pending": 0, "referents": 0})})
    return out


@view_config(route_name="admin", renderer="vvs_admin:templates/admin.pt", permission="platform")
def admin_view(request):
    db = request.dbsession
    by_commune = community_rows(db)
    communes = [
        {"commune": commune, "communities": by_commune.get(commune.id, []),
         "members": sum(r["active"] for r in by_commune.get(commune.id, [])),
         "pending": sum(r["pending"] for r in by_commune.get(commune.id, []))}
        for commune in db.execute(select(Commune).order_by(folded(Commune.name))).scalars()
    ]
    totals = {
        "users": db.execute(select(func.count(User.id)).where(User.status != "closed")).scalar_one(),
        "communities": sum(1 for c in communes for r in c["communities"] if r["community"].archived_at is None),
        "archived": sum(1 for c in communes for r in c["communities"] if r["community"].archived_at is not None),
        "members": sum(c["members"] for c in communes),
        "pending": sum(c["pending"] for c in communes),
    }
    return {"title": "Administration", "communes": communes, "totals": totals, "mode_name": lambda key: mode_name(request, key),
            "requests_url": request.route_path("admin_requests") if route_exists(request, "admin_requests") else None,
            "extra_css": [request.layout.static("css/resident.css")]}


@subscriber(BeforeRender)
def admin_nav_on_the_requests_queue(event):
    """The core's platform queue (``/admin/demandes``) is an administration page like the
    others: it gets their sub-menu (walk of the staff, item 16), through the core template's
    ``section_nav`` slot."""
    request = event.get("request")
    if (event.get("renderer_name") == "vvs_core:communities/templates/validation_queue.pt" and request is not None
            and getattr(request.matched_route, "name", None) == "admin_requests"):
        event["section_nav"] = render("vvs_admin:templates/admin_nav.pt", {}, request=request)
