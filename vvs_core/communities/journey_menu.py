"""Menu entries of the resident's journey: activation of a pending account, the
membership queues of référents and of the platform team.

A core-side plugin registered next to ``vvs_core.defaults``, so this function
does not share a hook implementation with the rest of the menu.
"""

from sqlalchemy import func, select

from vvs_core.hooktypes import MenuItem
from vvs_core.plugins import hookimpl
from vvs_core.web import route_exists


@hookimpl
def vvs_menu_items(request):
    user = request.user
    if user is None or not route_exists(request, "activation"):
        return []
    from vvs_core.models import Membership
    from vvs_core.accounts.security import CommunityContext, cached_community

    items = []
    # The home membership (as ``membership.current_membership``), from the memberships
    # every request reads: active first, else pending.
    mine = request.memberships
    current = next((m for m in mine if m[2] == "active"), None) or next((m for m in mine if m[2] == "pending"), None)
    if current is None and user.home is not None:
        items.append(MenuItem("Choisir ma communauté", request.route_path("signup_community"), order=5))
    elif current is not None and current[2] == "pending":
        items.append(MenuItem("Activation du compte", request.route_path("activation"), order=5))
    elif current is not None and current[1] == "referent":
        community = cached_community(request, current[0])
        if community is not None and request.has_permission("membership.decide", CommunityContext(request, community)):
            items.append(MenuItem("Demandes d'adhésion", request.route_path("community_requests", community_id=community.id),
                                  order=30, badge=pending_requests(Membership.community_id == community.id)))
    if user.is_admin:
        items.append(MenuItem("Demandes à valider", request.route_path("admin_requests"), order=84,
                              badge=pending_requests(), work=True))
    return items


def pending_requests(*where):
    """Pending requests, as a SQL scalar expression (the menu evaluates it with the others)."""
    from vvs_core.models import Membership

    return select(func.count(Membership.id)).where(Membership.status == "pending", *where).scalar_subquery()
