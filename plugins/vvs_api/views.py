"""Core resources of the API: me, my community, my notifications (thin views that read
core models; the directory is vvs_directory's, declared through ``vvs_api_endpoints``)."""
from __future__ import annotations

import sqlalchemy as sa
from shapely.geometry import mapping

from .toolkit import ApiError, paginate_query, page_params
from vvs_core.models import Commune, Community, Membership, Notification
from vvs_core.models.notification import CHANNELS
from vvs_core.notify.kinds import kinds_of

from . import schemas
from vvs_core.web.timefmt import dates

API = "/api/v1"


def declare(api):
    api.schema("Me", schemas.ME)
    api.schema("Community", schemas.COMMUNITY)
    api.schema("Notification", schemas.NOTIFICATION)
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    api.route("api_me", API + "/me")
    api.route("api_my_community", API + "/me/community")
    api.route("api_my_notifications", API + "/me/notifications")
    api.view(me_view, "api_me", method="GET", permission="account", tags=["compte"],
             summary="Mon compte : identité, téléphones, préférences, communautés", response_schema=ref("Me"))
    api.view(my_community_view, "api_my_community", method="GET", permission="resident",
             tags=["communauté"], summary="Ma communauté", response_schema=ref("Community"))
    api.view(notifications_view, "api_my_notifications", method="GET", permission="account",
             tags=["notifications"], paginated=True, response_schema=ref("Notification"),
             summary="Les notifications qui m'ont été adressées, les plus récentes d'abord",
             query=[{"name": "channel", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": list(CHANNELS)}}])


def me_view(request):
    user = request.user
    rows = request.dbsession.execute(
        sa.select(Membership, Community.name).join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id, Membership.status.in_(("active", "pending")))
        .order_by(Membership.id)).all()
    return {
        "id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "pseudonym": user.pseudonym, "mobile": user.mobile, "landline": user.landline,
        "hide_mobile": bool(user.hide_mobile), "hide_landline": bool(user.hide_landline),
        "address": user.address_label or "", "notification_prefs": shown_prefs(request.registry, user.notification_prefs),
        "memberships": [{"community_id": m.community_id, "community_name": name,
                         "role": "referent" if m.role == "referent" else "member", "status": m.status}
                        for m, name in rows],
    }


def shown_prefs(registry, prefs: dict | None) -> dict:
    """A resident's stored preferences as the API shows them: only the declared kinds'
    choices and the delivery settings they use; a disabled plugin's kinds stay stored
    (and in the resident's export) but are not shown."""
    kinds = kinds_of(registry)
    prefs = prefs or {}
    out = {k: v for k, v in prefs.items() if k in kinds}
    if any(k.quiet for k in kinds) and "quiet_hours" in prefs:
        out["quiet_hours"] = prefs["quiet_hours"]
    if kinds.with_severities() and "min_severity" in prefs:
        out["min_severity"] = prefs["min_severity"]
    return out


def my_community_view(request):
    db = request.dbsession
    row = db.execute(
        sa.select(Community, Membership.role).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == request.user.id, Membership.status == "active")
        .order_by(Membership.id).limit(1)).first()
    if row is None:
        raise ApiError(404, "no_community", "Vous n'êtes membre actif d'aucune communauté.")
    community, role = row
    commune = db.get(Commune, community.commune_id)
    members = db.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.community_id == community.id, Membership.status == "active"))
    return {"id": community.id, "name": community.name, "description": community.description or "",
            "commune": {"insee": commune.insee, "name": commune.name}, "member_count": int(members or 0),
            "role": "referent" if role == "referent" else "member", "boundary": mapping(community.boundary)}


def notifications_view(request):
    page = page_params(request)
    channel = request.GET.get("channel")
    stmt = sa.select(Notification).where(Notification.recipient_id == request.user.id)
    if channel is not None:
        if channel not in CHANNELS:
            raise ApiError(400, "invalid_parameter", f"Canal inconnu : {', '.join(CHANNELS[:-1])} ou {CHANNELS[-1]}.")
        stmt = stmt.where(Notification.channel == channel)
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
    return paginate_query(request, request.dbsession, stmt, notification_json, page)


def notification_json(n) -> dict:
    return {"id": n.id, "kind": n.kind, "channel": n.channel, "title": n.title or "", "body": n.body or "",
            "status": n.status, "created_at": dates.utc_iso(n.created_at, None), "sent_at": dates.utc_iso(n.sent_at, None)}
