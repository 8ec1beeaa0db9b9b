"""Subscribed communes and their agents: look-ups, invitations, acceptance."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, func, select

from vvs_core.web.cache import note_read
from vvs_core.clock import utcnow
from vvs_core.web.french import de
from vvs_core.models import Commune, User
from vvs_core.accounts.security import issue_token
from vvs_core.web.links import absolute_url
from vvs_core.web.textsearch import folded

from .models import AGENT_ROLES, AGENT_ROLES_AS, MairieAgent, MairieCommune

INVITE_PURPOSE = "mairie_invite"
# What the per-request memos below hold: a value cached from them depends on these tables.
MEMO_TABLES = ("communes", "mairie_communes", "mairie_agents")
INVITE_HOURS = 72


def commune_by_insee(dbsession, insee: str) -> Commune | None:
    if not insee or not insee.isalnum() or len(insee) != 5:
        return None
    return dbsession.scalar(select(Commune).where(Commune.insee == insee))


def mairie_of(dbsession, commune_id: int, create: bool = False) -> MairieCommune | None:
    row = dbsession.scalar(select(MairieCommune).where(MairieCommune.commune_id == commune_id))
    if row is None and create:
        row = MairieCommune(commune_id=commune_id, subscribed=False, impose_validation=False)
        dbsession.add(row)
        dbsession.flush()
    return row


def is_subscribed(dbsession, commune_id: int) -> bool:
    row = mairie_of(dbsession, commune_id)
    return bool(row and row.subscribed)


def agent_rows(dbsession, user_id: int) -> list[tuple[MairieAgent, str]]:
    """(agent, INSEE code) for every active agent row of ``user_id`` in a subscribed commune."""
    stmt = (select(MairieAgent, Commune.insee)
            .join(Commune, Commune.id == MairieAgent.commune_id)
            .join(MairieCommune, MairieCommune.commune_id == MairieAgent.commune_id)
            .where(MairieAgent.user_id == user_id, MairieAgent.active.is_(True), MairieCommune.subscribed.is_(True))
            .order_by(MairieAgent.id))
    return [(agent, insee) for agent, insee in dbsession.execute(stmt).all()]


@cache
def _viewer_agent_rows_statement():
    """``viewer_agent_rows``' statement, built once per process (building it cost more than
    running it): the user, the commune of the page's community and the INSEE code a mairie
    page names are bound (None: no such commune)."""
    from sqlalchemy import and_, or_
    from sqlalchemy.orm import defer

    from vvs_core.models import Community, Membership

    user_id = bindparam("agent_rows_user")
    theirs = select(Community.commune_id).join(Membership, Membership.community_id == Community.id) \
        .where(Membership.user_id == user_id)
    active = theirs.where(Membership.status == "active")
    return (select(Commune, MairieCommune, MairieAgent)
            .outerjoin(MairieCommune, MairieCommune.commune_id == Commune.id)
            .outerjoin(MairieAgent, and_(MairieAgent.commune_id == Commune.id, MairieAgent.active.is_(True),
                                         or_(MairieAgent.user_id == user_id, and_(acting_sql(), Commune.id.in_(active)))))
            .where(or_(MairieAgent.user_id == user_id, Commune.id.in_(theirs),
                       Commune.id == bindparam("agent_rows_shown"), Commune.insee == bindparam("agent_rows_insee")))
            .options(defer(Commune.boundary))  # a commune's outline is large: read only where shown
            .order_by(MairieAgent.id))


def viewer_agent_rows(request, user) -> list[tuple[MairieAgent, str]]:
    """``agent_rows`` of the signed-in user, read once per request (principals and menu).

    The same statement reads the mairie of every commune where the user belongs to a
    community, so that the permission checks of their pages (``vvs_validation_mode_imposed``)
    ask nothing more, and the enrolled agents of the communes where they are an active
    member (whom the messaging lets them answer: ``viewer_commune_agents``)."""
    memo = request.__dict__.setdefault("_vvs_mairie_agent_rows", {})
    if user.id in memo:
        note_read(*MEMO_TABLES)
        return memo[user.id]
    # And the commune of the page's community (a moderator's, an administrator's visit):
    # its mairie is asked by the page's permission checks.
    shown = getattr(getattr(request, "context", None), "community", None)
    # And the commune a mairie page names (/mairie/INSEE/…), read here by its context factory.
    page_insee = (getattr(request, "matchdict", None) or {}).get("insee")
    rows = request.dbsession.execute(_viewer_agent_rows_statement(), {
        "agent_rows_user": user.id, "agent_rows_shown": getattr(shown, "commune_id", None),
        "agent_rows_insee": page_insee if isinstance(page_insee, str) else None}).all()
    mairies = request.__dict__.setdefault("_vvs_mairie_of", {})
    communes = request.__dict__.setdefault("_vvs_commune_by_insee", {})
    found, others = [], {}
    for commune, mairie, agent in rows:
        mairies[commune.id] = mairie
        communes[commune.insee] = commune
        if agent is None or mairie is None or not mairie.subscribed:
            continue
        if agent.user_id == user.id:
            found.append((agent, commune.insee))
        else:
            others.setdefault(agent.user_id, commune.name)
    memo[user.id] = found
    request.__dict__.setdefault("_vvs_mairie_commune_agents", {})[user.id] = sorted(others.items())
    return found


def viewer_commune_agents(request, user) -> list[tuple[int, str]]:
    """``agents_of_residents_communes`` for the signed-in user, from ``viewer_agent_rows``'
    statement (no statement of its own); for anyone else, its own statement."""
    if user.id != getattr(getattr(request, "user", None), "id", None):
        return agents_of_residents_communes(request.dbsession, user.id)
    viewer_agent_rows(request, user)
    return request.__dict__["_vvs_mairie_commune_agents"][user.id]


def request_commune_by_insee(request, insee: str) -> Commune | None:
    """``commune_by_insee`` for a mairie page: a signed-in user's look-up reads it with
    their agent rows (``viewer_agent_rows``), in one statement."""
    if not insee or not insee.isalnum() or len(insee) != 5:
        return None
    user = getattr(request, "user", None)
    if user is not None:
        viewer_agent_rows(request, user)
        known = request.__dict__.get("_vvs_commune_by_insee", {})
        if insee in known:
            return known[insee]
    return commune_by_insee(request.dbsession, insee)


def request_mairie_of(request, commune_id: int) -> MairieCommune | None:
    """``mairie_of`` read once per request and commune (every permission check asks it)."""
    memo = request.__dict__.setdefault("_vvs_mairie_of", {})
    if commune_id not in memo and getattr(request, "user", None) is not None:
        viewer_agent_rows(request, request.user)  # reads the mairies of the user's communes
    if commune_id not in memo:
        memo[commune_id] = mairie_of(request.dbsession, commune_id)
    note_read(*MEMO_TABLES)  # a value cached now depends on the mairie, read or not (vvs_core.web.cache)
    return memo[commune_id]


def is_agent_sql(user_id: int):
    """Whether ``user_id`` is an active agent of a subscribed commune (as ``agent_rows``), as SQL."""
    from sqlalchemy import exists

    return exists().where(MairieAgent.user_id == user_id, MairieAgent.active.is_(True),
                          MairieCommune.commune_id == MairieAgent.commune_id, MairieCommune.subscribed.is_(True))


@cache
def menu_conditions_sql():
    """``is_agent_sql`` and ``home_commune_unsubscribed_sql`` of the signed-in user, built
    once per process (the menu's statement binds ``VIEWER``, vvs_core.web.batch)."""
    from vvs_core.web.batch import VIEWER

    return is_agent_sql(bindparam(VIEWER)), home_commune_unsubscribed_sql(bindparam(VIEWER))


@cache
def communications_read():
    """The 20 newest communications published in the gazettes (title, text, created_at) of commune
    ``mairie_communications_of`` while its mairie is subscribed, as ``json_rows`` built once
    per process (the gazette reads it with its page, vvs_core.web.batch)."""
    from vvs_core.web.batch import json_rows

    from .models import MairieCommunication

    return json_rows(select(MairieCommunication.title.label("title"), MairieCommunication.text.label("text"),
                            MairieCommunication.created_at.label("created_at"))
                     .join(MairieCommune, MairieCommune.commune_id == MairieCommunication.commune_id)
                     .where(MairieCommunication.commune_id == bindparam("mairie_communications_of"),
                            MairieCommunication.channel == "gazette", MairieCommune.subscribed.is_(True))
                     .order_by(MairieCommunication.created_at.desc()).limit(20))


def home_commune_unsubscribed_sql(user_id: int):
    """Whether the commune of ``user_id``'s home community has no subscribed mairie, as SQL."""
    from sqlalchemy import exists

    from vvs_core.models import Community, Membership

    home = (select(Community.commune_id).join(Membership, Membership.community_id == Community.id)
            .where(Membership.user_id == user_id, Membership.status == "active").order_by(Membership.id).limit(1)
            .scalar_subquery())
    return ~exists().where(MairieCommune.commune_id == home, MairieCommune.subscribed.is_(True))


def agents_of_commune(dbsession, commune_id: int) -> list[MairieAgent]:
    """Every active agent row of the commune, invitations not yet accepted included: the
    platform team's list. Whom to tell anything: ``acting_agents``."""
    from sqlalchemy.orm import joinedload

    return list(dbsession.scalars(select(MairieAgent).options(joinedload(MairieAgent.user)).where(
        MairieAgent.commune_id == commune_id, MairieAgent.active.is_(True)).order_by(MairieAgent.id)))


def acting_sql():
    """The one rule for who acts for a mairie, as SQL: an active agent row whose second
    factor is enrolled. Enrolling needs the account's owner signed in, so an invitation not
    yet accepted (or a second factor reset by the platform team) acts for nobody, and
    nothing of the residents reaches the address it was sent to (a mistyped one)."""
    from sqlalchemy import and_

    return and_(MairieAgent.active.is_(True), MairieAgent.totp_confirmed_at.isnot(None),
                MairieAgent.totp_secret.isnot(None))


def acting_agents(dbsession, commune_id: int) -> list[MairieAgent]:
    """The agents (``acting_sql``, account open) of the commune's subscribed mairie: the
    only ones any notice, alert or list of residents is sent to (residents' alerts, alerts
    held for validation, membership requests, roll-calls, the register of the vulnerable)."""
    from sqlalchemy.orm import contains_eager

    return list(dbsession.scalars(
        select(MairieAgent).join(User, User.id == MairieAgent.user_id).options(contains_eager(MairieAgent.user))
        .join(MairieCommune, MairieCommune.commune_id == MairieAgent.commune_id)
        .where(MairieAgent.commune_id == commune_id, acting_sql(), MairieCommune.subscribed.is_(True),
               User.status.notin_(("closed", "banned")))
        .order_by(MairieAgent.id)))


def agents_of_residents_communes(dbsession, user_id: int) -> list[tuple[int, str]]:
    """(user id, commune name) of the users who act (second factor enrolled) for the
    subscribed mairie of a commune where ``user_id`` is an active member: whom a resident
    may answer or write to, and for which town hall they write."""
    from vvs_core.models import Community, Membership

    communes = (select(Community.commune_id).join(Membership, Membership.community_id == Community.id)
                .where(Membership.user_id == user_id, Membership.status == "active"))
    rows = dbsession.execute(
        select(MairieAgent.user_id, Commune.name).join(Commune, Commune.id == MairieAgent.commune_id)
        .join(MairieCommune, MairieCommune.commune_id == MairieAgent.commune_id)
        .where(MairieAgent.commune_id.in_(communes), acting_sql(), MairieCommune.subscribed.is_(True))
        .order_by(MairieAgent.user_id, folded(Commune.name))).all()
    found: dict[int, str] = {}
    for uid, name in rows:
        found.setdefault(uid, name)
    return sorted(found.items())


def invite_agent(request, commune: Commune, email: str, role: str, first_name: str = "", last_name: str = "") -> MairieAgent:
    """Create (or reuse) the user and the agent row, and e-mail an invitation link."""
    from vvs_core.notify.outbox import notify_user

    if role not in AGENT_ROLES:
        raise ValueError(f"unknown agent role {role!r}")
    db = request.dbsession
    email = email.strip().lower()
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        user = User(email=email, first_name=first_name, last_name=last_name, pseudonym=first_name)
        db.add(user)
        db.flush()
    agent = db.scalar(select(MairieAgent).where(MairieAgent.user_id == user.id, MairieAgent.commune_id == commune.id))
    if agent is None:
        agent = MairieAgent(user_id=user.id, commune_id=commune.id, role=role, alert_channels=["email"])
        db.add(agent)
    agent.role, agent.active, agent.invited_at = role, True, utcnow()
    db.flush()
    token = issue_token(db, user, INVITE_PURPOSE, hours=INVITE_HOURS, data={"agent_id": agent.id})
    link = absolute_url(request, "mairie_invitation", token=token)
    notify_user(request, user, kind="account", title=f"Invitation : Mairie vigilante {de(commune.name)}",
                body=(f"Bonjour{' ' + greeted if (greeted := (first_name or '').strip() or user.first_name) else ''},"
                      f"\n\nVous êtes invité(e) à rejoindre l'espace « Mairie vigilante » {de(commune.name)} "
                      f"en tant {AGENT_ROLES_AS[role]}.\n\nOuvrez ce lien (valable {INVITE_HOURS} heures) "
                      f"pour {'confirmer avec le mot de passe de votre compte' if user.password_hash else 'choisir votre mot de passe'} "
                      f"et activer la double authentification :\n{link}\n"),
                channels=("email",), subject=("mairie_agent", agent.id))
    return agent
