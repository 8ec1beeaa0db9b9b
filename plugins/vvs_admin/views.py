"""The platform team's "Administration" page: communes, communities, member counts.
(The team's validation queue is at /admin/demandes, in views/validation.py.)"""
from __future__ import annotations

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
        "communities": sum(len(c["communities"]) for c in communes),
        "members": sum(c["members"] for c in communes),
        "pending": sum(c["pending"] for c in communes),
    }
    return {"title": "Administration", "communes": communes, "totals": totals, "mode_name": lambda key: mode_name(request, key),
            "requests_url": request.route_path("admin_requests") if route_exists(request, "admin_requests") else None,
            "extra_css": [request.layout.static("css/resident.css")]}
