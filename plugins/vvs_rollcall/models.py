"""Tables of the roll-call « Êtes-vous en sécurité ? »: a commune's escalation settings,
each roll-call, the people it asks (one row each, with their answer) and its log.

The answer link of a person is signed, never stored (``tokens``). Names, addresses and
phones are read from ``users`` when shown; the summary copies them when the roll-call
closes, so that the record stays as it was that day.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.geometry import Geometry
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

TARGETS = {"commune": "Toute la commune", "communities": "Des communautés choisies",
           "area": "Une zone dessinée sur la carte"}
ANSWERS = {"safe": "En sécurité", "help": "Besoin d'aide"}
VIA = {"sms": "SMS", "link": "lien", "web": "application", "voice": "appel (clavier)", "agent": "un agent"}
# Who a wave of escalation tells; "referent" is the core's référent of the person's community,
# the others are answered by the plugins that know the commune's staff (vvs_rollcall_staff).
DUTIES = {"referent": "Référent de la communauté", "ccas": "CCAS", "maire": "Maire et élus",
          "police": "Police municipale"}
# The same in a sentence, after « à » (``to_duties``): "au référent de la communauté", "au maire et aux élus".
DUTY_NAMES = {"referent": ("le référent de la communauté",), "ccas": ("le CCAS",), "maire": ("le maire", "les élus"),
              "police": ("la police municipale",)}


def to_duties(duties) -> str:
    """« au référent de la communauté, au CCAS », « au maire et aux élus, à la police municipale »."""
    from vvs_core.web.french import a

    return ", ".join(" et ".join(a(name) for name in DUTY_NAMES.get(d, (d,))) for d in duties)
DEFAULT_WAVES = [{"minutes": 30, "to": ["referent"]}, {"minutes": 60, "to": ["ccas"]},
                 {"minutes": 120, "to": ["maire", "police"]}]
MAX_WAVES = 5
MAX_WAVE_MINUTES = 24 * 60
MAX_RETENTION_DAYS = 3660


class RollCallSettings(Base):
    """A commune's choices: the waves of escalation, and whether référents may launch."""
    __tablename__ = "rollcall_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), unique=True)
    waves: Mapped[list] = mapped_column(JSON, default=lambda: [dict(w) for w in DEFAULT_WAVES])
    referents_may_launch: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: vvs.rollcall.retention_days
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RollCall(Base):
    """One « Êtes-vous en sécurité ? ». ``waves`` is the commune's setting when it was
    launched; ``waves_done`` counts the waves already sent."""
    __tablename__ = "rollcalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    launched_as: Mapped[str] = mapped_column(String(16), default="mairie")  # "mairie" or "referent"
    target: Mapped[str] = mapped_column(String(16))
    community_ids: Mapped[list] = mapped_column(JSON, default=list)
    area = mapped_column(Geometry("POLYGON"), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    waves: Mapped[list] = mapped_column(JSON, default=list)
    waves_done: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # "open" or "closed"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[dict | None] = mapped_column(JSON)  # written when it closes

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class RollCallPerson(Base):
    """A person a roll-call asks, and their answer (None: not yet)."""
    __tablename__ = "rollcall_people"
    __table_args__ = (UniqueConstraint("rollcall_id", "user_id", name="uq_rollcall_people_rollcall_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollcall_id: Mapped[int] = mapped_column(ForeignKey("rollcalls.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_via: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    escalations: Mapped[int] = mapped_column(Integer, default=0)  # waves that named this person
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # in the register of vulnerable residents at launch


class RollCallLog(Base):
    """Everything that happened in a roll-call, with its time and author (None: the system)."""
    __tablename__ = "rollcall_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rollcall_id: Mapped[int] = mapped_column(ForeignKey("rollcalls.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
