"""Attestation: a référent of the resident's community, or an agent of its
commune's mairie, vouches for a pending neighbour they know."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from vvs_core.models import Commune, Community, Membership, User
from vvs_core.web.french import elided

from .checks import KycError, after_pass, new_check, record
from .documents import agent_communes
from .models import KycCheck


@dataclass
class Vouchable:
    membership: Membership
    user: User
    community: Community
    as_role: str          # "referent" or "mairie"
    attested: bool        # already vouched for by this voucher


def voucher_role(request, voucher, membership) -> str | None:
    if voucher is None or membership.user_id == voucher.id or membership.status != "pending":
        return None
    if f"community:{membership.community_id}:referent" in request.principals:
        return "referent"
    community = request.dbsession.get(Community, membership.community_id)
    if community is not None and community.commune.insee in agent_communes(request):
        return "mairie"
    return None


def vouchable(request, voucher) -> list[Vouchable]:
    """Pending neighbours ``voucher`` may vouch for, oldest request first."""
    dbsession = request.dbsession
    referent_of = set(dbsession.scalars(select(Membership.community_id).where(
        Membership.user_id == voucher.id, Membership.status == "active", Membership.role == "referent")))
    insees = agent_communes(request)
    commune_ids = set(dbsession.scalars(select(Commune.id).where(Commune.insee.in_(insees)))) if insees else set()
    if not referent_of and not commune_ids:
        return []
    rows = dbsession.execute(
        select(Membership, User, Community).join(User, User.id == Membership.user_id)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.status == "pending", Membership.user_id != voucher.id)
        .order_by(Membership.requested_at, Membership.id)
    ).all()
    done = set(dbsession.scalars(select(KycCheck.user_id).where(
        KycCheck.method == "attestation", KycCheck.decided_by_id == voucher.id, KycCheck.status == "passed")))
    out = []
    for membership, user, community in rows:
        if community.id in referent_of:
            out.append(Vouchable(membership, user, community, "referent", user.id in done))
        elif community.commune_id in commune_ids:
            out.append(Vouchable(membership, user, community, "mairie", user.id in done))
    return out


def vouch(request, voucher, membership) -> KycCheck:
    role = voucher_role(request, voucher, membership)
    if role is None:
        raise PermissionError("may not vouch for this resident")
    user = request.dbsession.get(User, membership.user_id)
    already = request.dbsession.scalar(select(KycCheck).where(
        KycCheck.user_id == user.id, KycCheck.method == "attestation", KycCheck.decided_by_id == voucher.id,
        KycCheck.status == "passed").limit(1))
    if already is not None:
        raise KycError(f"Vous avez déjà attesté l'adresse {elided('de', user.full_name)}.")
    check = new_check(request, user, "attestation", "passed", decided_by_id=voucher.id, details={"role": role})
    record(request, check, "kyc_attested", actor=voucher, role=role)
    after_pass(request, user, voucher)
    return check
