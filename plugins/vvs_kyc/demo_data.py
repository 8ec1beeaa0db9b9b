"""The demo keeps its residents verified now that a proof is required by default
(``vvs.kyc.required = any``): every active member of the demo commune has a passed
attestation by a référent of their community (the founder référents by the platform team)."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Community, Membership, User

from .models import KycCheck


def attest_demo_members(dbsession, commune) -> None:
    members = dbsession.execute(
        select(Membership.user_id, Membership.community_id, Membership.role, Membership.decided_at)
        .join(Community, Community.id == Membership.community_id)
        .where(Community.commune_id == commune.id, Membership.status == "active")).all()
    verified = set(dbsession.scalars(select(KycCheck.user_id).where(KycCheck.status == "passed")))
    referents = {community_id: user_id for user_id, community_id, role, _at in members if role == "referent"}
    admin_id = dbsession.scalar(select(User.id).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    now = utcnow()
    for user_id, community_id, role, decided_at in members:
        if user_id in verified:
            continue
        voucher = referents.get(community_id) if role != "referent" else admin_id
        when = decided_at or now
        dbsession.add(KycCheck(user_id=user_id, community_id=community_id, method="attestation", status="passed",
                               created_at=when, decided_at=when, decided_by_id=voucher,
                               details={"role": "referent" if role != "referent" else "platform"}))
        verified.add(user_id)
    dbsession.flush()
