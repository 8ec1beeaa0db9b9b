"""Joining a community, deciding on requests, the queues, escalation, creating a community.

Who decides (``vvs_core.communities.modes``): the deciders of the community's validation
mode, "referent" (its active référents), "platform" (the platform team) or one a plugin declares.
The platform team may decide any request: its queue shows every pending request,
those it is responsible for first (platform mode, escalated after
``vvs.validation.escalation_days``, or a community without an active référent).

Every new member is pending until someone decides, and so is the resident who
creates a community, référent or not: a new community is in "platform" mode, so the
platform team checks the account and the community in one decision. Once accepted,
a référent may switch the community to validation by the référent.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import defer

from vvs_core import geo
from vvs_core.clock import aware, utcnow
from vvs_core.communities.events import record_event
from vvs_core.communities.modes import effective_validation_mode, mode_of, validation_modes
from vvs_core.web.french import a, count, de
from vvs_core.communities.members import member_count, member_counts, referent_counts, referents_of  # noqa: F401  (member_count(s): for the views)
from vvs_core.models import Commune, Community, Membership, User, row_id
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates

# Squares tried around a home for a new community, as fractions of the default side.
_SHRINK = (1.0, 0.85, 0.7, 0.6, 0.5, 0.4)
# Where the square may sit relative to the home (fractions of half a side): centred
# first, then pushed away from a neighbour so the home stays well inside.
_SHIFTS = [(0, 0)] + [(dx, dy) for dx in (-0.7, 0, 0.7) for dy in (-0.7, 0, 0.7) if (dx, dy) != (0, 0)]


class MembershipError(Exception):
    """A request or decision that cannot be made; the message is French, for the user."""


class MembershipBlocked(MembershipError):
    """Plugins say a request may not be accepted yet (``vvs_membership_blockers``)."""

    def __init__(self, reasons: list[str]):
        super().__init__("Cette demande ne peut pas encore être acceptée. " + " ; ".join(reasons) + ".")
        self.reasons = reasons


# --- Reading ------------------------------------------------------------------

def communities_by_id(dbsession, community_ids) -> dict[int, Community]:
    """The communities of ``community_ids`` in one statement, by id."""
    ids = sorted(set(community_ids))
    return {c.id: c for c in dbsession.scalars(select(Community).where(Community.id.in_(ids)))} if ids else {}


def current_membership(dbsession, user) -> Membership | None:
    """The user's home membership: active, else pending (one home community)."""
    rows = dbsession.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.status.in_(("active", "pending")))
        .order_by(Membership.status, Membership.id)  # "active" sorts before "pending"
    ).all()
    return rows[0] if rows else None


def decider_label(request, community) -> str:
    return mode_of(request.registry, effective_validation_mode(request, community)).decider


def request_status(request, user) -> dict | None:
    """Where the request of a resident who is not (yet) an active member stands, for
    the pages they cannot open: ``{"community", "requested_at", "decider", "blockers"}``,
    ``{"community": None}`` when they never asked to join one, None for an active member."""
    membership = current_membership(request.dbsession, user)
    if membership is None:
        return {"community": None}
    if membership.status != "pending":
        return None
    community = request.dbsession.get(Community, membership.community_id)
    return {"community": community, "requested_at": membership.requested_at,
            "decider": decider_label(request, community), "blockers": blockers(request, membership)}


def blockers(request, membership) -> list[str]:
    hook = request.registry.vvs_plugins.hook.vvs_membership_blockers
    return [reason for answer in hook(request=request, membership=membership) for reason in answer or []]


def verification_methods(request, user) -> list:
    return [method for answer in request.registry.vvs_plugins.hook.vvs_verification_methods(request=request, user=user)
            for method in answer or []]


# --- Joining ------------------------------------------------------------------

def join_or_request(request, user, community, role: str = "member") -> Membership:
    """Ask for ``user`` to join ``community``: a pending membership, whatever the mode.

    Asking again for the same community returns the request already made (a refused
    or departed member asks afresh). A resident has one home community: asking for a
    second one while a request or a membership is open elsewhere is refused.
    """
    dbsession = request.dbsession
    current = current_membership(dbsession, user)
    if current is not None and current.community_id == community.id:
        return current
    if current is not None:
        other = dbsession.get(Community, current.community_id)
        raise MembershipError(f"Vous faites déjà partie de la communauté « {other.name} » (ou l'avez demandé).")
    membership = dbsession.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.community_id == community.id))
    if membership is None:
        membership = Membership(user_id=user.id, community_id=community.id)
        dbsession.add(membership)
    membership.role = role
    membership.status = "pending"
    membership.requested_at = utcnow()
    membership.decided_at = membership.decided_by_id = membership.escalated_at = None
    membership.decision_reason = ""
    dbsession.flush()
    record_event(dbsession, "join_requested", community=community, actor=user, subject=user, data={"role": role})
    request.registry.vvs_plugins.hook.vvs_membership_requested(request=request, membership=membership)
    _tell_deciders(request, membership, community, user)
    return membership


def _tell_deciders(request, membership, community, user) -> None:
    """E-mail the référents (referent mode) or the platform team (platform mode).

    Whoever else decides (the commune's agents) is told by the plugin that grants them,
    through ``vvs_membership_requested`` and ``tell_of_request``.
    """
    mode = effective_validation_mode(request, community)
    dbsession = request.dbsession
    referents = referents_of(dbsession, community.id) if mode == "referent" else []
    if referents:
        recipients = referents
        link = absolute_url(request, "community_requests", community_id=community.id)
    else:
        recipients = admins(dbsession)
        link = absolute_url(request, "admin_requests")
    for recipient in recipients:
        tell_of_request(request, recipient, membership, community, user, link)


def tell_of_request(request, recipient, membership, community, resident, link: str) -> list[int]:
    """E-mail ``recipient`` that ``resident`` asks to join ``community`` (decide at ``link``).
    One notice per recipient and request, whoever sends it (a référent who is also an
    admin, an agent who is also one, hears once)."""
    from vvs_core.notify.outbox import notify_user

    return notify_user(
        request, recipient, kind="membership_request",
        title=f"Nouvelle demande d'adhésion : {community.name}",
        body=(f"Bonjour,\n\n{resident.full_name} demande à rejoindre la communauté « {community.name} ».\n"
              f"Acceptez ou refusez la demande ici :\n{link}\n"),
        subject=("membership", membership.id),
        dedupe_key=f"membership_request:{membership.id}:{aware(membership.requested_at).isoformat()}:{recipient.id}",
    )


def admins(dbsession) -> list[User]:
    return dbsession.scalars(select(User).where(User.is_admin.is_(True), User.status != "closed").order_by(User.id)).all()


# --- Deciding -----------------------------------------------------------------

def decide(request, membership, accept: bool, reason: str, decider) -> Membership:
    """Accept or refuse a pending request; the resident is told by e-mail.

    A refusal needs a reason (its length is the form's). Acceptance is refused while a plugin names a blocker
    (``MembershipBlocked`` lists them). The caller checks the decider's permission.
    """
    reason, dbsession = (reason or "").strip(), request.dbsession
    dbsession.refresh(membership, with_for_update=True)  # two deciders at once: the second reads the first's decision
    if membership.status != "pending":
        raise MembershipError("Cette demande a déjà été traitée.")
    if not accept and not reason:
        raise MembershipError("Indiquez le motif du refus : il sera envoyé au demandeur.")
    if accept:
        found = blockers(request, membership)
        if found:
            raise MembershipBlocked(found)
    membership.status = "active" if accept else "rejected"
    membership.decided_at = utcnow()
    membership.decided_by_id = getattr(decider, "id", decider)
    membership.decision_reason = reason
    community = dbsession.get(Community, membership.community_id)
    user = dbsession.get(User, membership.user_id)
    # The reason of a refusal is for the resident, not for the neighbours' movements.
    record_event(dbsession, "member_joined" if accept else "join_refused", community=community,
                 actor=decider, subject=user, data={"role": membership.role})
    dbsession.flush()
    request.registry.vvs_plugins.hook.vvs_membership_decided(request=request, membership=membership)
    _tell_resident(request, membership, community, user, accept, reason)
    return membership


def _tell_resident(request, membership, community, user, accept, reason) -> None:
    from vvs_core.notify.outbox import notify_user

    site = request.registry.settings["vvs.site_name"]
    if accept:
        title = f"Bienvenue dans la communauté « {community.name} »"
        body = (f"Bonjour {user.first_name},\n\nVotre demande d'adhésion à la communauté « {community.name} » "
                f"est acceptée : votre compte est actif.\n"
                + (f"Message : {reason}\n" if reason else "")
                + f"\nConnectez-vous : {absolute_url(request, 'home')}\n\n{site}")
    else:
        title = f"Votre demande d'adhésion à « {community.name} » n'est pas acceptée"
        body = (f"Bonjour {user.first_name},\n\nVotre demande d'adhésion à la communauté « {community.name} » "
                f"n'a pas été acceptée.\nMotif : {reason}\n\n"
                f"Pour toute question, écrivez à {request.registry.settings['vvs.platform_email']}.\n\n{site}")
    notify_user(request, user, kind="membership", title=title, body=body, channels=("email",),
                subject=("membership", membership.id), dedupe_key=f"membership_decided:{membership.id}:{membership.status}")


# --- Référents -----------------------------------------------------------------

REFERENT_REASON_MAX = 1000


def set_referent(request, community, user_id, appoint: bool, actor, reason: str = "", by: str = "platform") -> User:
    """Name an active member of ``community`` référent (``appoint``), or make a référent a
    plain member again: the one way every page does it (the platform team's commune page,
    the commune agents' référents page). The caller checks the actor's permission.

    The role changes by a conditional UPDATE (from the role the member has to the other):
    of two people acting at once, one changes it and the other reads a French refusal.
    Records the public movement « Nouveau référent » on appointment and a non-public
    audit entry (``referent_appointed`` / ``referent_removed``) with who, why and on whose
    behalf (``by``: a validation mode's key, whose ``appointer`` names them); the person is told by e-mail.
    Raises ``MembershipError`` (French) when it does not apply; nothing changes then.
    """
    from sqlalchemy import update

    reason = " ".join(str(reason or "").split())
    if len(reason) > REFERENT_REASON_MAX:
        raise MembershipError(f"Le motif est trop long ({REFERENT_REASON_MAX} caractères au plus).")
    if not appoint and not reason:
        raise MembershipError("Indiquez le motif du retrait : il sera envoyé à la personne.")
    if by not in validation_modes(request.registry):
        raise ValueError(f"unknown appointer {by!r}")
    db = request.dbsession
    if (user_id := row_id(user_id)) is None:
        raise MembershipError("Choisissez une personne de la liste.")
    membership = db.scalar(select(Membership).where(Membership.community_id == community.id,
                                                    Membership.user_id == user_id))
    user = db.get(User, user_id) if membership is not None else None
    if membership is None or membership.status != "active" or user is None or user.status == "closed":
        raise MembershipError(f"Cette personne n'est pas membre de la communauté « {community.name} ».")
    new_role, old_role = ("referent", "member") if appoint else ("member", "referent")
    result = db.execute(update(Membership).where(Membership.id == membership.id, Membership.role == old_role,
                                                 Membership.status == "active")
                        .values(role=new_role).execution_options(synchronize_session=False))
    db.refresh(membership)
    if result.rowcount != 1:
        raise MembershipError(f"{user.full_name} est déjà référent {de(community.name)}." if appoint
                              else f"{user.full_name} n'est pas (ou plus) référent {de(community.name)}.")
    if appoint:
        record_event(db, "referent_added", community=community, actor=actor, subject=user)
    record_event(db, "referent_appointed" if appoint else "referent_removed", community=community, actor=actor,
                 subject=user, public=False, data={"reason": reason, "par": mode_of(request.registry, by).appointer})
    db.flush()
    _tell_referent(request, community, user, appoint, reason, by)
    return user


def _tell_referent(request, community, user, appoint: bool, reason: str, by: str) -> None:
    from vvs_core.notify.outbox import notify_user

    site = request.registry.settings["vvs.site_name"]
    who = mode_of(request.registry, by).appointer
    if appoint:
        title = f"Vous êtes référent {de(community.name)}"
        body = (f"Bonjour {user.first_name},\n\n{who[0].upper() + who[1:]} vous a nommé référent de la communauté "
                f"« {community.name} ».\n"
                + (f"Motif : {reason}\n" if reason else "")
                + "\nVous pouvez désormais valider les demandes d'adhésion (selon le mode de la communauté), "
                  "modérer ses alertes et tracer sa délimitation.\n"
                  f"Vos outils : {absolute_url(request, 'referent_tools', community_id=community.id)}\n\n{site}")
    else:
        title = f"Vous n'êtes plus référent {de(community.name)}"
        body = (f"Bonjour {user.first_name},\n\n{who[0].upper() + who[1:]} vous a retiré le rôle de référent de la "
                f"communauté « {community.name} ». Vous en restez membre.\n"
                + (f"Motif : {reason}\n" if reason else "")
                + f"\nPour toute question, écrivez à {request.registry.settings['vvs.platform_email']}.\n\n{site}")
    notify_user(request, user, kind="membership", title=title, body=body, channels=("email",),
                subject=("community", community.id))


# --- Queues -------------------------------------------------------------------

@dataclass
class QueueEntry:
    membership: Membership
    user: User
    community: Community
    mode: str
    for_platform: bool
    blockers: list[str] = field(default_factory=list)
    badges: list = field(default_factory=list)  # MembershipBadge (vvs_membership_badges)


def pending_queue(request, who: str, community=None) -> list[QueueEntry]:
    """Pending requests to show to a decider, oldest first.

    who: a validation mode's key (with ``community``: that community's requests, when
    its mode is ``who``), or "platform" (every pending request, or those of
    ``community``; ``for_platform`` marks those the platform team is responsible
    for, listed first).
    """
    dbsession = request.dbsession
    stmt = (select(Membership, User, Community)
            .join(User, User.id == Membership.user_id).join(Community, Community.id == Membership.community_id)
            .where(Membership.status == "pending").order_by(Membership.requested_at, Membership.id))
    if who != "platform" and community is None:
        raise ValueError("only the platform team's queue spans communities")
    if community is not None:
        stmt = stmt.where(Membership.community_id == community.id)
    entries = []
    rows = dbsession.execute(stmt).all()
    referents = referent_counts(dbsession, {comm.id for _m, _u, comm in rows})
    for membership, user, comm in rows:
        mode = effective_validation_mode(request, comm)
        if who != "platform" and mode != who:
            continue
        orphan = mode == "referent" and not referents.get(comm.id)
        for_platform = mode == "platform" or membership.escalated_at is not None or orphan
        entries.append(QueueEntry(membership, user, comm, mode, for_platform, blockers(request, membership)))
    if who == "platform":
        entries.sort(key=lambda e: not e.for_platform)  # stable: oldest first within each group
    for membership_id, badges in membership_badges(request, [e.membership for e in entries]).items():
        next(e for e in entries if e.membership.id == membership_id).badges.extend(badges)
    return entries


def membership_badges(request, memberships) -> dict[int, list]:
    """Membership id → the ``MembershipBadge`` the plugins give it (``vvs_membership_badges``),
    asked once for all ``memberships``."""
    if not memberships:
        return {}
    wanted = {m.id for m in memberships}
    out: dict[int, list] = {}
    hook = request.registry.vvs_plugins.hook.vvs_membership_badges
    for badge in (b for answer in hook(request=request, memberships=memberships) for b in answer or [] if b.membership_id in wanted):
        out.setdefault(badge.membership_id, []).append(badge)
    return out


# --- Escalation ---------------------------------------------------------------

def escalate_stale(request, now=None) -> list[int]:
    """Hand requests pending longer than ``vvs.validation.escalation_days`` to the
    platform team: mark them, record an event, e-mail the administrators.

    Idempotent: an escalated request is never escalated twice. Returns their ids.
    """
    from vvs_core.notify.outbox import notify_user

    dbsession = request.dbsession
    days = request.registry.settings["vvs.validation.escalation_days"]
    limit = (now or utcnow()) - timedelta(days=days)
    rows = dbsession.execute(
        select(Membership, Community).join(Community, Community.id == Membership.community_id)
        .where(Membership.status == "pending", Membership.escalated_at.is_(None), Membership.requested_at < limit)
        .order_by(Membership.id)
    ).all()
    escalated = []
    for membership, community in rows:
        if effective_validation_mode(request, community) == "platform":
            continue  # already in the platform team's hands
        membership.escalated_at = now or utcnow()
        record_event(dbsession, "join_escalated", community=community, subject=membership.user_id,
                     data={"days": days}, public=False)
        escalated.append((membership, community))
    if not escalated:
        return []
    lines = "\n".join(f"- {dbsession.get(User, m.user_id).full_name} → « {c.name} » "
                      f"(demande du {dates.date(m.requested_at)})" for m, c in escalated)
    body = (f"Bonjour,\n\nCes demandes d'adhésion attendent depuis plus de {days} jours ; "
            f"elles sont transmises à l'équipe de la plateforme :\n{lines}\n\n{absolute_url(request, 'admin_requests')}\n")
    ids = [m.id for m, _c in escalated]
    for admin in admins(dbsession):
        notify_user(request, admin, kind="membership_request",
                    title=f"{count(len(ids), 'demande', 'demandes')} d'adhésion en attente depuis {count(days, 'jour', 'jours')}", body=body,
                    dedupe_key=f"membership_escalated:{ids[0]}-{ids[-1]}:{admin.id}")
    dbsession.flush()
    return ids


# --- Creating a community -----------------------------------------------------

def commune_for_point(dbsession, point) -> Commune | None:
    """The commune whose boundary holds ``point``, else the one with the nearest centre."""
    commune_id = geo.find_commune_id_at(dbsession, point)
    # The boundary (thousands of vertices for a real commune) stays in the database.
    return dbsession.get(Commune, commune_id, options=[defer(Commune.boundary)]) if commune_id is not None else None


def distance_m(a, b) -> float:
    a, b = geo.as_point(a), geo.as_point(b)
    return abs(geo.geod().inv(a.x, a.y, b.x, b.y)[2])


def default_boundary(request, home) -> "Polygon":  # noqa: F821
    """A square around ``home`` that overlaps no community, or MembershipError.

    The default side (``vvs.community.default_size_m``) first, centred; then moved so
    the home stays inside but away from a neighbour; then smaller squares, down to
    the minimum area.
    """
    settings = request.registry.settings
    dbsession = request.dbsession
    home = geo.as_point(home)
    side = settings["vvs.community.default_size_m"]
    min_m2, max_m2 = settings["vvs.community.min_area_m2"], settings["vvs.community.max_area_m2"]
    near_ids = [n.community_id for n in geo.communities_near(dbsession, home, side * 1.5)]
    neighbours = [dbsession.get(Community, cid).boundary for cid in near_ids]
    home_l93 = geo.to_l93(home)
    for factor in _SHRINK:
        size = side * factor
        for dx, dy in _SHIFTS:
            square = geo.square_around(geo.from_l93(Point(home_l93.x + dx * size / 2, home_l93.y + dy * size / 2)), size)
            if not geo.check_boundary_size(square, min_m2, max_m2).ok:
                continue
            if not square.contains(home) or geo.to_l93(square).exterior.distance(home_l93) < 10:  # home near an edge
                continue
            if any(other.relate_pattern(square, geo.OVERLAP_PATTERN) for other in neighbours):
                continue
            if geo.overlapping_community_ids(dbsession, square):  # the database has the last word
                continue
            return square
    raise MembershipError(
        "Impossible de tracer une communauté autour de votre domicile sans empiéter sur une communauté voisine : "
        "rejoignez plutôt une des communautés proches.")


def clean_name(name: str) -> str:
    return " ".join((name or "").split())


def name_key(name: str) -> str:
    """What two community names must not share: "Les Érables", "les erables" and
    "LES  ÉRABLES" are one name (case, accents, ligatures and spaces folded)."""
    decomposed = unicodedata.normalize("NFKD", clean_name(name).casefold().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def community_name_problem(dbsession, commune, name: str, renaming: Community | None = None) -> str | None:
    """A French message when ``name`` cannot name a new community of ``commune`` (or
    ``renaming``, an existing one, renamed): too short, too long, or already taken in
    the commune (see ``name_key``)."""
    name = clean_name(name)
    if len(name) < 3:
        return "Donnez un nom à la communauté (3 caractères au moins), par exemple le nom de votre rue."
    if len(name) > 120:
        return "Le nom est trop long (120 caractères au plus)."
    key = name_key(name)
    others = dbsession.execute(select(Community.id, Community.name).where(Community.commune_id == commune.id))
    taken = next((other for other_id, other in others
                  if name_key(other) == key and (renaming is None or other_id != renaming.id)), None)
    if taken is not None:
        return f"Une communauté s'appelle déjà « {taken} » {a(commune.name)} : choisissez un autre nom."
    return None


def create_community(request, user, name: str, home_point, be_referent: bool, commune=None) -> tuple[Community, Membership]:
    """Create a community around ``user``'s home and ask for their membership. It starts in "platform"
    mode: the platform team validates the creator and the community together. Returns (community, pending membership)."""
    dbsession = request.dbsession
    name = clean_name(name)
    home = geo.as_point(home_point)
    if current_membership(dbsession, user) is not None:
        raise MembershipError("Vous faites déjà partie d'une communauté (ou l'avez demandé).")
    if (inside := geo.find_community_at(dbsession, home)) is not None:
        raise MembershipError(f"Votre domicile est dans la communauté « {inside.name} » : rejoignez-la.")
    commune = commune or commune_for_point(dbsession, home)
    if commune is None:
        raise MembershipError("Aucune commune n'est ouverte sur ce service.")
    if problem := community_name_problem(dbsession, commune, name):
        raise MembershipError(problem)
    community = add_community(request, commune, name, default_boundary(request, home), user,
                              validation_mode="platform", address_label=user.address_label or "")
    return community, join_or_request(request, user, community, role="referent" if be_referent else "member")


def add_community(request, commune, name: str, boundary, actor, **fields) -> Community:
    """The community row (its rules checked by the caller), its « Création » movement, and
    ``vvs_community_created``: a resident's at sign-up, the platform team's."""
    community = Community(commune_id=commune.id, name=name, boundary=boundary, created_at=(now := utcnow()),
                          boundary_changed_at=now, **fields)
    request.dbsession.add(community)
    request.dbsession.flush()
    record_event(request.dbsession, "community_created", community=community, actor=actor, data={"name": name})
    request.registry.vvs_plugins.hook.vvs_community_created(request=request, community=community)
    return community
