"""Menu entries of the resident's journey: activation of a pending account, the
membership queues of référents and of the platform team.

A core-side plugin registered next to ``vvs_core.defaults``, so this function
does not share a hook implementation with the rest of the menu.
"""
from __future__ import annotations

from sqlalchemy import func, select

from .hooktypes import MenuItem
from .plugins import hookimpl
from .web import route_exists


@hookimpl
def vvs_menu_items(request):
    user = request.user
    if user is None or not route_exists(request, "activation"):
        return []
    from .membership import current_membership
    from .models import Community, Membership
    from .security import CommunityContext

    dbsession = request.dbsession
    items = []
    current = current_membership(dbsession, user)
    if current is None and user.home is not None:
        items.append(MenuItem("Choisir ma communauté", request.route_path("signup_community"), order=5))
    elif current is not None and current.status == "pending":
        items.append(MenuItem("Activation du compte", request.route_path("activation"), order=5))
    elif current is not None and current.role == "referent":
        community = dbsession.get(Community, current.community_id)
        if request.has_permission("membership.decide", CommunityContext(request, community)):
            waiting = _pending_count(dbsession, Membership.community_id == community.id)
            items.append(MenuItem("Demandes d'adhésion", request.route_path("community_requests", community_id=community.id),
                                  order=30, badge=waiting or None))
    if user.is_admin:
        items.append(MenuItem("Demandes à valider", request.route_path("admin_requests"), order=84,
                              badge=_pending_count(dbsession) or None))
    return items


def _pending_count(dbsession, *where) -> int:
    from .models import Membership

    return dbsession.scalar(select(func.count(Membership.id)).where(Membership.status == "pending", *where))
