"""The demo resident has invited neighbours: two by e-mail (one signed up) and one by
SMS, so their home page and the référent's tools show invitations at work."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Membership, User

from .invitations import new_code
from .models import Invitation

SENT = (("email", "voisine.des.tilleuls@example.test", 1), ("email", "famille.benoit@example.test", 0),
        ("sms", "+33639981234", 0))  # 06 39 98: ARCEP's numbers for fiction
DEMO_RESIDENT = "resident@serris.demo"  # the demo's resident (vvs_demo: README's list of demo accounts)


def invite_demo_neighbours(dbsession, commune) -> None:
    resident = dbsession.scalar(select(User).where(User.email == DEMO_RESIDENT))
    if resident is None:
        return
    community_id = dbsession.scalar(select(Membership.community_id).where(
        Membership.user_id == resident.id, Membership.status == "active").limit(1))
    if community_id is None or dbsession.scalar(select(Invitation.id).where(Invitation.sender_id == resident.id)):
        return
    now = utcnow()
    for days, (channel, address, accepted) in enumerate(SENT, start=2):
        sent_at = now - timedelta(days=days * 3)
        dbsession.add(Invitation(code=new_code(), community_id=community_id, sender_id=resident.id, channel=channel,
                                 address=address, created_at=sent_at, accepted_count=accepted,
                                 last_accepted_at=sent_at + timedelta(days=1) if accepted else None))
    dbsession.flush()
