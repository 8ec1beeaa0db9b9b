"""The mairie part of the demo commune: Serris subscribed, agent@serris.demo its agent.

The agent has no second factor yet: at first sign-in they enrol (QR code), as a real
agent would after accepting an invitation.
"""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.models import Commune, User

from .agents import mairie_of
from .models import MairieAgent

DEMO_AGENT_EMAIL = "agent@serris.demo"
DEMO_INSEE = "77449"


def load_demo_mairie(dbsession, commune: Commune | None = None) -> MairieAgent | None:
    """Idempotent; flushes, does not commit. None when the demo commune or agent is missing."""
    commune = commune or dbsession.scalar(select(Commune).where(Commune.insee == DEMO_INSEE))
    user = dbsession.scalar(select(User).where(User.email == DEMO_AGENT_EMAIL))
    if commune is None or user is None:
        return None
    mairie = mairie_of(dbsession, commune.id, create=True)
    if not mairie.subscribed:
        from vvs_core.clock import utcnow

        mairie.subscribed, mairie.subscribed_at = True, utcnow()
        if not (commune.contact_name or commune.contact_email):  # the town hall's contact is the commune's
            commune.contact_name = "Police municipale de Serris"
            commune.contact_email = "police.municipale@serris.demo"
            commune.contact_phone = "+33199004415"  # a number of the ARCEP fiction block
    agent = dbsession.scalar(select(MairieAgent).where(MairieAgent.user_id == user.id, MairieAgent.commune_id == commune.id))
    if agent is None:
        agent = MairieAgent(user_id=user.id, commune_id=commune.id, role="police", alert_channels=["email"])
        dbsession.add(agent)
    dbsession.flush()
    return agent
