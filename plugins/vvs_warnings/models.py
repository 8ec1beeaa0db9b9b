"""Tables of the official warnings: what the sources said, and what each commune did
with it.

``OfficialWarning`` is one warning of a source as it stands (its messages — Alert,
then Updates, then maybe a Cancel — fold into it); ``WarningMessageKey`` lists the CAP
keys ("sender,identifier") of its messages, so that a later message's references find
it and a message read twice is not applied twice. ``WarningRelay`` is the warning for
one commune: a draft waiting for the mairie, sent (with the id of the commune alert),
ended, withdrawn by the source before anyone sent it, or dismissed by an agent.
``CommuneWarningSettings`` holds the commune's threshold and its automatic relay.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.geometry import Geometry
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

# CAP severities, in order, and how a French resident knows them (vigilance colours).
SEVERITY_RANK = {"Unknown": 0, "Minor": 1, "Moderate": 2, "Severe": 3, "Extreme": 4}
SEVERITY_COLOUR = {"Minor": "verte", "Moderate": "jaune", "Severe": "orange", "Extreme": "rouge"}
THRESHOLDS = {"Moderate": "Vigilance jaune et au-dessus", "Severe": "Vigilance orange et au-dessus",
              "Extreme": "Vigilance rouge seulement"}
DEFAULT_THRESHOLD = "Severe"
RELAY_STATES = {"draft": "à relire", "sent": "envoyée", "ended": "terminée", "withdrawn": "retirée par la source",
                "dismissed": "écartée"}


class OfficialWarning(Base):
    __tablename__ = "warnings_official"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)   # of its first message
    feed_url: Mapped[str] = mapped_column(String(500))
    source_name: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(200), default="")
    headline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    instruction: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16), default="Unknown")
    colour: Mapped[str] = mapped_column(String(16), default="")
    onset: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    area_desc: Mapped[str] = mapped_column(String(500), default="")
    area = mapped_column(Geometry("GEOMETRY"), nullable=True)
    departements: Mapped[list] = mapped_column(JSON, default=list)
    web: Mapped[str] = mapped_column(String(500), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def colour_label(self) -> str:
        return self.colour or SEVERITY_COLOUR.get(self.severity, "")


class WarningMessageKey(Base):
    __tablename__ = "warnings_message_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings_official.id", ondelete="CASCADE"), index=True)


class WarningRelay(Base):
    __tablename__ = "warnings_relays"
    __table_args__ = (UniqueConstraint("warning_id", "commune_id", name="uq_warnings_relays_warning_commune"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings_official.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text, default="")
    whole_commune: Mapped[bool] = mapped_column(Boolean, default=True)
    area = mapped_column(Geometry("POLYGON"), nullable=True)     # the intersection, when not the whole commune
    alert_id: Mapped[int | None] = mapped_column(Integer)        # the commune alert, once sent
    alert_url: Mapped[str] = mapped_column(String(300), default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    warning = relationship(OfficialWarning)

    @property
    def state_label(self) -> str:
        return RELAY_STATES.get(self.state, self.state)


class CommuneWarningSettings(Base):
    __tablename__ = "warnings_commune_settings"

    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), primary_key=True)
    threshold: Mapped[str] = mapped_column(String(16), default=DEFAULT_THRESHOLD)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
