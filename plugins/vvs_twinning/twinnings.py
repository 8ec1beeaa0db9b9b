"""Twinnings: who may be proposed, the four steps (propose, accept, decline, end),
each recorded in both communities' history and e-mailed to both sides' référents,
and the audiences a twinning opens (alerts by e-mail, messages by pseudonym)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from vvs_core import geo
from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.web.french import number
from vvs_core.models import Community, Membership, User, row_id
from vvs_core.communities.members import community_ids_of, referents_of
from vvs_core.notify.outbox import notify_user
from vvs_core.web.links import absolute_url

from .models import OPEN_STATUSES, Twinning, pair_key

STEP_TEXTS = {
    # step: (event kind, e-mail subject, sentence), formatted with a=proposer, b=invited
    "proposed": ("twinning_proposed", "Proposition de jumelage",
                 "« {a} » propose un jumelage à « {b} ». Un référent de « {b} » peut l'accepter ou le refuser."),
    "accepted": ("twinning_accepted", "Jumelage accepté",
                 "« {b} » a accepté le jumelage proposé par « {a} ». Les deux communautés reçoivent désormais "
                 "les alertes de l'autre par e-mail et leurs membres peuvent s'écrire (sous leur pseudonyme)."),
    "declined": ("twinning_declined", "Jumelage refusé",
                 "« {b} » a refusé le jumelage proposé par « {a} »."),
    "ended": ("twinning_ended", "Jumelage terminé",
              "Le jumelage entre « {a} » et « {b} » est terminé : les alertes et les messages ne passent plus "
              "d'une communauté à l'autre."),
}


class TwinningRefused(Exception):
    """A step that is not allowed now; the message is French, for the page."""


@dataclass(frozen=True)
class Candidate:
    community: Community
    distance_m: float
    twinning: Twinning | None  # the open twinning with it, if any
    answerable: bool = True  # someone there can accept or decline a proposal (see communities_that_can_answer)


# --- Reading ----------------------------------------------------------------------

def twinnings_of(dbsession, community_id: int, statuses=OPEN_STATUSES) -> list[Twinning]:
    return list(dbsession.scalars(
        sa.select(Twinning).where(
            sa.or_(Twinning.community_a_id == community_id, Twinning.community_b_id == community_id),
            Twinning.status.in_(statuses))
        .options(joinedload(Twinning.community_a), joinedload(Twinning.community_b))  # both sides, one statement
        .order_by(Twinning.proposed_at.desc(), Twinning.id.desc())))


def panel_read(community_id: int):
    """The open twinnings of a community (status, proposed to whom, the partner's name)
    as ``json_rows``: a scalar expression the page reads with its others (the panel)."""
    from sqlalchemy.orm import aliased

    from vvs_core.web.batch import json_rows

    a, b = aliased(Community), aliased(Community)
    partner = sa.case((Twinning.community_a_id == community_id, b.name), else_=a.name)
    return json_rows(
        sa.select(Twinning.status.label("status"), Twinning.community_b_id.label("community_b_id"),
                  partner.label("partner_name"))
        .join(a, a.id == Twinning.community_a_id).join(b, b.id == Twinning.community_b_id)
        .where(sa.or_(Twinning.community_a_id == community_id, Twinning.community_b_id == community_id),
               Twinning.status.in_(OPEN_STATUSES))
        .order_by(Twinning.proposed_at.desc(), Twinning.id.desc()))


def find_twinning(dbsession, community_id: int, raw_id) -> Twinning | None:
    """The twinning ``raw_id`` if it involves ``community_id``, else None."""
    twinning = dbsession.get(Twinning, found) if (found := row_id(raw_id)) else None
    return twinning if twinning is not None and twinning.involves(community_id) else None


def twinned_community_ids(dbsession, community_ids) -> set[int]:
    """Communities actively twinned with any of ``community_ids``."""
    ids = list(community_ids)
    if not ids:
        return set()
    rows = dbsession.execute(sa.select(Twinning.community_a_id, Twinning.community_b_id).where(
        Twinning.status == "active",
        sa.or_(Twinning.community_a_id.in_(ids), Twinning.community_b_id.in_(ids))))
    out = {b if a in ids else a for a, b in rows}
    return out - set(ids)


def twinned_community_ids_sql(community_ids):
    """``twinned_community_ids`` as a subquery (no statement of its own)."""
    ids = list(community_ids) or [-1]
    active = Twinning.status == "active"
    return sa.union(
        sa.select(Twinning.community_b_id).where(active, Twinning.community_a_id.in_(ids), Twinning.community_b_id.not_in(ids)),
        sa.select(Twinning.community_a_id).where(active, Twinning.community_b_id.in_(ids), Twinning.community_a_id.not_in(ids)))


def active_member_ids(dbsession, community_ids) -> list[int]:
    """``community_ids``: a list of ids, or a subquery that gives them."""
    if isinstance(community_ids, sa.sql.Selectable):
        ids = community_ids
    else:
        ids = list(community_ids)
        if not ids:
            return []
    return list(dbsession.scalars(
        sa.select(Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.community_id.in_(ids), Membership.status == "active", User.status != "closed")
        .distinct().order_by(Membership.user_id)))


def user_community_ids(dbsession, user_id: int) -> list[int]:
    return community_ids_of(dbsession, user_id)


def candidates(dbsession, community: Community, max_distance_m: float) -> list[Candidate]:
    """Communities within ``max_distance_m`` of the centre of ``community``, nearest
    first, with the open twinning each already has with it."""
    near = [n for n in geo.communities_near(dbsession, community.boundary.centroid, max_distance_m)
            if n.community_id != community.id]
    if not near:
        return []
    found = {c.id: c for c in dbsession.scalars(
        sa.select(Community).where(Community.id.in_([n.community_id for n in near])))}
    open_by_other = {t.other_id(community.id): t for t in twinnings_of(dbsession, community.id)}
    answering = communities_that_can_answer(dbsession, found)
    return [Candidate(found[n.community_id], n.distance_m, open_by_other.get(n.community_id),
                      n.community_id in answering)
            for n in near if n.community_id in found]


def communities_that_can_answer(dbsession, community_ids) -> set[int]:
    """Those of ``community_ids`` where someone can answer a proposal: an active référent
    (with an open account). A community without one is never proposed a twinning: the
    proposal would wait for an answer nobody can give."""
    ids = list(community_ids)
    if not ids:
        return set()
    return set(dbsession.scalars(
        sa.select(Membership.community_id).join(User, User.id == Membership.user_id)
        .where(Membership.community_id.in_(ids), Membership.status == "active", Membership.role == "referent",
               User.status != "closed").distinct()))


# --- The four steps ----------------------------------------------------------------

def propose(request, community: Community, target_id, user: User, max_distance_m: float) -> Twinning:
    db = request.dbsession
    target = db.get(Community, found) if (found := row_id(target_id)) else None
    if target is None or target.id == community.id:
        raise TwinningRefused("Choisissez une communauté voisine dans la liste.")
    distance = next((c.distance_m for c in candidates(db, community, max_distance_m) if c.community.id == target.id),
                    None)
    if distance is None:
        raise TwinningRefused(f"« {target.name} » est à plus de {number(max_distance_m / 1000, 1)} km : "
                              "on ne peut se jumeler qu'avec une communauté proche.")
    if target.id not in communities_that_can_answer(db, [target.id]):
        raise TwinningRefused(f"« {target.name} » n'a pas de référent pour répondre à une proposition de jumelage : "
                              "vous pourrez la lui proposer dès qu'un de ses voisins en sera référent.")
    key = pair_key(community.id, target.id)
    existing = db.scalar(sa.select(Twinning).where(Twinning.open_pair == key))
    if existing is not None:
        raise TwinningRefused(f"Un jumelage avec « {target.name} » est déjà "
                              f"{'en cours' if existing.status == 'active' else 'proposé'}.")
    twinning = Twinning(community_a_id=community.id, community_b_id=target.id, proposed_by_id=user.id,
                        status="proposed", open_pair=key, proposed_at=utcnow())
    twinning.community_a, twinning.community_b = community, target
    db.add(twinning)
    db.flush()
    _record_step(request, twinning, "proposed", user)
    return twinning


def accept(request, twinning: Twinning, acting_community_id: int, user: User) -> None:
    _decide(request, twinning, acting_community_id, user, "active", "accepted")


def decline(request, twinning: Twinning, acting_community_id: int, user: User) -> None:
    _decide(request, twinning, acting_community_id, user, "declined", "declined")


def _decide(request, twinning, acting_community_id, user, status, step):
    if twinning.status != "proposed":
        raise TwinningRefused("Cette proposition de jumelage a déjà reçu une réponse.")
    if acting_community_id != twinning.community_b_id:
        raise TwinningRefused("Seuls les référents de la communauté invitée peuvent répondre.")
    twinning.status = status
    twinning.decided_at = utcnow()
    if status != "active":
        twinning.open_pair = None
    request.dbsession.flush()
    _record_step(request, twinning, step, user)


def end(request, twinning: Twinning, acting_community_id: int, user: User) -> None:
    """Either side ends an active twinning; the proposing side may also withdraw its proposal."""
    withdrawing = twinning.status == "proposed" and acting_community_id == twinning.community_a_id
    if twinning.status != "active" and not withdrawing:
        raise TwinningRefused("Ce jumelage n'est pas en cours.")
    twinning.status = "ended"
    twinning.ended_at = utcnow()
    twinning.open_pair = None
    request.dbsession.flush()
    _record_step(request, twinning, "ended", user)


# --- History and e-mails -------------------------------------------------------------

def _record_step(request, twinning: Twinning, step: str, user: User) -> None:
    kind, subject, sentence = STEP_TEXTS[step]
    a, b = twinning.community_a, twinning.community_b
    db = request.dbsession
    for here, other in ((a, b), (b, a)):
        record_event(db, kind, community=here, actor=user,
                     data={"twinning_id": twinning.id, "other_id": other.id, "other_name": other.name})
    text = sentence.format(a=a.name, b=b.name)
    for referent in referents_of(db, [a.id, b.id]):
        here = a if _is_referent_of(db, referent.id, a.id) else b
        link = absolute_url(request, "twinning_index", community_id=here.id)
        notify_user(request, referent, "twinning", f"{subject} : {a.name} et {b.name}",
                    f"Bonjour,\n\n{text}\n\nLes jumelages de « {here.name} » : {link}\n",
                    channels=("email",), subject=("twinning", twinning.id),
                    dedupe_key=f"twinning:{twinning.id}:{step}:{referent.id}")


def _is_referent_of(dbsession, user_id: int, community_id: int) -> bool:
    return dbsession.scalar(sa.select(Membership.id).where(
        Membership.user_id == user_id, Membership.community_id == community_id,
        Membership.status == "active", Membership.role == "referent")) is not None
