"""The platform team's "Administration" page: communes, communities, member counts.
(The team's validation queue is at /admin/demandes, in views/validation.py.)"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select

from ..models import Commune, Community, Membership, User
from ..sessions import end_all_sessions
from ..web import route_exists
from .validation import MODE_LABELS

ACCOUNT_ACTIONS = {
    "sessions": "Toutes les sessions de {who} sont fermées.",
    "ban": "Le compte de {who} est banni : ses sessions sont fermées et il ne peut plus se connecter.",
    "unban": "Le bannissement de {who} est levé : il peut de nouveau se connecter.",
}


def includeme(config):
    config.add_route("admin", "/admin")
    config.add_route("admin_accounts", "/admin/comptes")
    config.scan(".admin")


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
    for community in dbsession.execute(select(Community).order_by(Community.name)).scalars():
        out.setdefault(community.commune_id, []).append(
            {"community": community, **counts.get(community.id, {"active": 0, "pending": 0, "referents": 0})})
    return out


@view_config(route_name="admin", renderer="vvs_core:templates/admin.pt", permission="platform")
def admin_view(request):
    db = request.dbsession
    by_commune = community_rows(db)
    communes = [
        {"commune": commune, "communities": by_commune.get(commune.id, []),
         "members": sum(r["active"] for r in by_commune.get(commune.id, [])),
         "pending": sum(r["pending"] for r in by_commune.get(commune.id, []))}
        for commune in db.execute(select(Commune).order_by(Commune.name)).scalars()
    ]
    totals = {
        "users": db.execute(select(func.count(User.id)).where(User.status != "closed")).scalar_one(),
        "communities": sum(len(c["communities"]) for c in communes),
        "members": sum(c["members"] for c in communes),
        "pending": sum(c["pending"] for c in communes),
    }
    return {"title": "Administration", "communes": communes, "totals": totals, "mode_labels": MODE_LABELS,
            "accounts_url": request.route_path("admin_accounts"),
            "requests_url": request.route_path("admin_requests") if route_exists(request, "admin_requests") else None,
            "extra_css": [request.layout.static("css/resident.css")]}


@view_config(route_name="admin_accounts", request_method="POST", permission="platform")
def admin_accounts_view(request):
    """End every session of an account, ban it or lift the ban (the platform team)."""
    from .auth import find_user_by_email

    email = str(request.POST.get("email") or "").strip()[:254]
    action = request.POST.get("action")
    user = find_user_by_email(request.dbsession, email) if email else None
    if action not in ACCOUNT_ACTIONS:
        request.flash("Choisissez une action.", "error")
    elif user is None or user.status == "closed":
        request.flash(f"Aucun compte ouvert pour l'adresse « {email} ».", "error")
    elif user.id == request.user.id and action == "ban":
        request.flash("Vous ne pouvez pas bannir votre propre compte.", "error")
    else:
        if action == "ban":
            user.status = "banned"
        elif action == "unban" and user.status == "banned":
            user.status = "active"
        if action in ("sessions", "ban"):
            end_all_sessions(request.dbsession, user)
        request.flash(ACCOUNT_ACTIONS[action].format(who=user.full_name), "success")
    return HTTPSeeOther(request.route_path("admin"))
