"""Telling the commune's agents of a membership request they decide (the community's
validation mode is "mairie"), through the core's ``vvs_membership_requested``."""
from __future__ import annotations

from vvs_core.web.links import absolute_url
from vvs_core.communities.membership import tell_of_request
from vvs_core.models import Community, User
from vvs_core.communities.modes import effective_validation_mode

from . import agents as agent_service


def tell_agents(request, membership) -> int:
    """E-mail every agent acting for the community's commune (``acting_agents``); returns
    how many were told."""
    db = request.dbsession
    community = db.get(Community, membership.community_id)
    if community is None or effective_validation_mode(request, community) != "mairie":
        return 0
    resident = db.get(User, membership.user_id)
    link = absolute_url(request, "community_requests", community_id=community.id)
    agents = agent_service.acting_agents(db, community.commune_id)
    for agent in agents:
        tell_of_request(request, agent.user, membership, community, resident, link)
    return len(agents)
