"""Verification records and what follows a passed proof.

The rule for automatic acceptance (also in docs/kyc.md): when a proof passes
and the resident's pending membership is in a community whose validation is done by
the platform team ("platform" mode), the membership is accepted at once through
``vvs_core.communities.membership.decide``, unless
- the resident asked to be référent (a new community: the platform team looks at
  the community itself), or
- a blocker remains (e.g. the deployment or the mairie requires several proofs).
In "referent" and "mairie" modes a person still decides; the proof unblocks them.
"""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.communities.membership import MembershipError, current_membership, decide
from vvs_core.models import Community, Membership
from vvs_core.communities.modes import effective_validation_mode

from .models import KycCheck


class KycError(Exception):
    """A verification step that cannot be done; the message is French, for the user."""


def method_status(dbsession, user_id: int, method: str) -> str:
    """"passed" once any check of ``method`` passed; else the latest one's state."""
    statuses = dbsession.scalars(
        select(KycCheck.status).where(KycCheck.user_id == user_id, KycCheck.method == method)
        .order_by(KycCheck.id.desc())
    ).all()
    if not statuses:
        return "none"
    if "passed" in statuses:
        return "passed"
    return "pending" if statuses[0] == "pending" else "failed"


QUEUE_STATUSES = "_vvs_kyc_queue_statuses"


def queue_statuses(request, community_id: int) -> dict[int, dict[str, str]]:
    """User id → {method: status} of everyone waiting in ``community_id``'s queue, read once
    per request and community (``badges.statuses_of``'s rule, that of ``method_status``): a
    queue of 50 requests asked three statements per request (issue 16)."""
    from .badges import statuses_of

    memo = request.__dict__.setdefault(QUEUE_STATUSES, {})
    if community_id not in memo:
        waiting = list(request.dbsession.scalars(select(Membership.user_id).where(
            Membership.community_id == community_id, Membership.status == "pending")))
        memo[community_id] = {user_id: {} for user_id in waiting} | statuses_of(request.dbsession, waiting)
    return memo[community_id]


def forget_queue_statuses(request) -> None:
    request.__dict__.pop(QUEUE_STATUSES, None)


def new_check(request, user, method: str, status: str, **fields) -> KycCheck:
    membership = current_membership(request.dbsession, user)
    check = KycCheck(user_id=user.id, community_id=membership.community_id if membership else None,
                     method=method, status=status, created_at=utcnow(), details=fields.pop("details", {}), **fields)
    if status != "pending":
        check.decided_at = check.created_at
    request.dbsession.add(check)
    request.dbsession.flush()
    forget_queue_statuses(request)
    return check


def record(request, check, kind: str, actor=None, **data) -> None:
    """A private audit event in the resident's community log."""
    forget_queue_statuses(request)  # a check was decided: the queue's statuses are stale
    record_event(request.dbsession, kind, community=check.community_id, actor=actor, subject=check.user_id,
                 data={"method": check.method, **data}, public=False)


def after_pass(request, user, decider=None) -> bool:
    """Accept ``user``'s pending membership when the rule above allows it; True if accepted."""
    dbsession = request.dbsession
    membership = current_membership(dbsession, user)
    if membership is None or membership.status != "pending" or membership.role == "referent":
        return False
    community = dbsession.get(Community, membership.community_id)
    if effective_validation_mode(request, community) != "platform":
        return False
    try:
        decide(request, membership, True, "", decider)
    except MembershipError:  # another proof is still required: the queue shows why
        return False
    return True
