"""Subscribed communes and their agents: look-ups, invitations, acceptance."""
from __future__ import annotations

from sqlalchemy import func, select

from vvs_core.clock import utcnow
from vvs_core.french import de
from vvs_core.models import Commune, User
from vvs_core.security import issue_token
from vvs_core.links import absolute_url

from .models import AGENT_ROLES, MairieAgent, MairieCommune

INVITE_PURPOSE = "mairie_invite"
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


def agents_of_commune(dbsession, commune_id: int) -> list[MairieAgent]:
    return list(dbsession.scalars(select(MairieAgent).where(
        MairieAgent.commune_id == commune_id, MairieAgent.active.is_(True)).order_by(MairieAgent.id)))


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
                body=(f"Bonjour,\n\nVous êtes invité(e) à rejoindre l'espace « Mairie vigilante » {de(commune.name)} "
                      f"en tant que {AGENT_ROLES[role].lower()}.\n\nOuvrez ce lien (valable {INVITE_HOURS} heures) "
                      f"pour choisir votre mot de passe et activer la double authentification :\n{link}\n"),
                channels=("email",), subject=("mairie_agent", agent.id))
    return agent
