"""Telling the commune's agents of a membership request they decide (the community's
validation mode is "mairie"), through the core's ``vvs_membership_requested``."""
from __future__ import annotations

from vvs_core.clock import aware
from vvs_core.links import absolute_url
from vvs_core.models import Community, User
from vvs_core.notify.outbox import notify_user
from vvs_core.security import effective_validation_mode

from . import agents as agent_service


def tell_agents(request, membership) -> int:
    """E-mail every active agent of the community's commune; returns how many were told."""
    db = request.dbsession
    community = db.get(Community, membership.community_id)
    if community is None or effective_validation_mode(request, community) != "mairie":
        return 0
    if not agent_service.is_subscribed(db, community.commune_id):
        return 0
    resident = db.get(User, membership.user_id)
    link = absolute_url(request, "community_requests", community_id=community.id)
    told = 0
    for agent in agent_service.agents_of_commune(db, community.commune_id):
        recipient = db.get(User, agent.user_id)
        if recipient is None or recipient.is_closed:
            continue
        # The same key as the core's notice to the platform team: one e-mail to an agent who is also an admin.
        notify_user(
            request, recipient, kind="membership_request",
            title=f"Nouvelle demande d'adhésion : {community.name}",
            body=(f"Bonjour,\n\n{resident.full_name} demande à rejoindre la communauté « {community.name} », "
                  f"dont la mairie valide les adhésions.\nAcceptez ou refusez la demande ici :\n{link}\n"),
            subject=("membership", membership.id),
            dedupe_key=f"membership_request:{membership.id}:{aware(membership.requested_at).isoformat()}:{recipient.id}",
        )
        told += 1
    return told
