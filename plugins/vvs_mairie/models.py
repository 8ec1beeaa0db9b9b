"""Tables of the mairie plugin: subscribed communes, agents and their second factor,
acknowledgements of residents' alerts, the mairie's own alerts and communications.

Views of hidden phone numbers are not here: they are core ``CommunityEvent`` rows of
kind ``hidden_phone_viewed``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.geometry import Geometry
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

# "ccas": the centre communal d'action sociale (told of residents who need help first, e.g. by vvs_rollcall).
AGENT_ROLES = {"elu": "Élu", "agent": "Agent de mairie", "police": "Police municipale", "ccas": "CCAS"}
# « en tant que … » in the invitation
AGENT_ROLES_AS = {"elu": "qu'élu ou élue", "agent": "qu'agent de la mairie", "police": "que membre de la police municipale",
                  "ccas": "qu'agent du CCAS"}
ALERT_CHANNELS = ("sms", "email", "push")

ALERT_CATEGORIES = {
    "meteo": "Météo",
    "travaux": "Travaux / route barrée",
    "evenement": "Événement exceptionnel",
    "greve": "Grève",
    "tranquillite": "Opération tranquillité vacances",
    "cambriolages": "Cambriolages dans le secteur",
    "autre": "Autre",
}
TARGETS = {"commune": "Toute la commune", "communities": "Des communautés choisies", "area": "Une zone dessinée sur la carte"}


class MairieCommune(Base):
    """A commune's town hall as the platform team knows it: subscribed or not, and whether it
    validates every new member. Whom to contact there is the core commune's contact."""
    __tablename__ = "mairie_communes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    impose_validation: Mapped[bool] = mapped_column(Boolean, default=False)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How long the proofs of warning (the notifications of its alerts) are kept; None: the default
    proof_retention_days: Mapped[int | None] = mapped_column(Integer)

    commune = relationship("Commune")


class MairieAgent(Base):
    """A user working for a commune. ``totp_secret`` is sealed at rest (``twofactor.seal``)."""
    __tablename__ = "mairie_agents"
    __table_args__ = (UniqueConstraint("user_id", "commune_id", name="uq_mairie_agents_user_commune"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="agent")
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # of the last accepted code: each is used once
    alert_channels: Mapped[list] = mapped_column(JSON, default=lambda: ["email"])
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user = relationship("User")
    commune = relationship("Commune")

    @property
    def role_label(self) -> str:
        return AGENT_ROLES.get(self.role, self.role)

    def __repr__(self):
        return f"<MairieAgent {self.id} user={self.user_id} commune={self.commune_id}>"


class SecondFactorToken(Base):
    """A personal API token created by an agent whose session had passed the second
    factor (hook ``vvs_api_token_issued``): its requests get the agent's principals. A
    token created before the second factor, or by anyone else, gets none. Deleted when
    the agent's second factor is reset or the agent removed. ``token_id`` is vvs_api's
    row (no foreign key: the two plugins' tables stay apart)."""
    __tablename__ = "mairie_second_factor_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(Integer, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A single-use recovery code of an agent; only its hash is kept."""
    __tablename__ = "mairie_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("mairie_agents.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# How the mairie follows a residents' alert; without an acknowledgement it is "reçue".
FOLLOW_UP_STATUSES = {"recue": "reçue", "prise_en_compte": "prise en compte",
                      "patrouille": "patrouille envoyée", "close": "close"}


class AlertAcknowledgement(Base):
    """The mairie's follow-up of a residents' alert (which lives in vvs_alerts): the first
    acknowledgement (``at``, by ``agent_user_id``: the time to acknowledge is ``at -
    alert_created_at``) and the current status. One row per alert and commune."""
    __tablename__ = "mairie_alert_acks"
    __table_args__ = (UniqueConstraint("alert_id", "commune_id", name="uq_mairie_alert_acks_alert"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    agent_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="prise_en_compte")
    alert_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return FOLLOW_UP_STATUSES.get(self.status, self.status)


class AlertReply(Base):
    """A status change of a residents' alert with the agent's short reply: sent to the
    author (e-mail, and shown on the alert's page) and, when chosen, to its community."""
    __tablename__ = "mairie_alert_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    to_community: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def status_label(self) -> str:
        return FOLLOW_UP_STATUSES.get(self.status, self.status)


class MairieAlert(Base):
    """An alert from the mairie to residents; an update or all-clear points to its first alert.

    ``source``: the official source it relays (an agent's own alert has none), named on
    everything sent; ``author_id`` is None for an alert relayed automatically.
    ``exercise``: an exercise, marked "EXERCICE" everywhere and left out of the reports'
    real figures (its own exercise report instead)."""
    __tablename__ = "mairie_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(120), default="")
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mairie_alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="alert")  # alert | update | all_clear
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(16), default="commune")
    community_ids: Mapped[list] = mapped_column(JSON, default=list)
    area = mapped_column(Geometry("POLYGON"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def category_label(self) -> str:
        return ALERT_CATEGORIES.get(self.category, self.category)


class MairieCommunication(Base):
    """A non-urgent communication: shown in every gazette of the commune (``channel``
    "gazette"), or sent by e-mail to the residents of chosen communities ("email": kept
    for the mairie's list only, with whom it reached)."""
    __tablename__ = "mairie_communications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(140))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="gazette", server_default="gazette")
    community_ids: Mapped[list | None] = mapped_column(JSON)
    recipients: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DeskAccount(Base):
    """An account the town hall's desk opened for a resident without a smartphone or
    internet (reached by landline or paper): agents of the commune may act for it, one
    session at a time, each with a written reason, until it is handed to the resident."""
    __tablename__ = "mairie_desk_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])


class DeskSession(Base):
    """An agent acting for a desk account: why, from when, until when (it expires by
    itself), and what was done (``DeskAction``)."""
    __tablename__ = "mairie_desk_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mairie_desk_accounts.id"), index=True)
    agent_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeskAction(Base):
    """A change made during a desk session (method and page), for the commune's log."""
    __tablename__ = "mairie_desk_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("mairie_desk_sessions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
