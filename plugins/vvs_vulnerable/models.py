"""Tables of the register of vulnerable residents (CASF L121-6-1, R121-2 to R121-12).

``VulnerableEntry`` holds, in clear, only what the register's workings need (commune,
how the entry came, its dates, its state); who the person is and what they need is in
``sealed``: a JSON document encrypted with the register's own key
(``vvs.vulnerable.encryption_key``), read only on the CCAS's pages. The state follows
the clock: a third party's entry waits ``OBJECTION_DAYS`` for the person's objection and
is active from ``active_from`` without any task having to run. ``VulnerableReading`` is
the log of every reading (list, entry, export, list sent to the CCAS).
``VulnerablePriorityList`` is a list of registered people to reach first, made in a
roll-call or a crisis: the CCAS agents are sent its link (never the names), and read it
on the register's own page, each reading logged.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

OBJECTION_DAYS = 8
ORIGINS = {"self": "Inscription par la personne elle-même",
           "representative": "Inscription par son représentant légal",
           "third_party": "Demande écrite d'un tiers"}
SITUATIONS = {"age65": "Personne âgée de 65 ans et plus",
              "age60": "Personne de plus de 60 ans reconnue inapte au travail",
              "handicap": "Personne adulte handicapée"}
# The sealed data's fields, as « Mes données » names them (the register's words: exports.HEADER).
FIELD_WORDS = {"name": "Nom", "address": "Adresse", "phone": "Téléphone", "email": "E-mail", "situations": "Situations",
               "needs": "Besoins", "contact": "Personne à prévenir", "consent": "Consentement",
               "consent_at": "Consentement le", "representative": "Représentant légal", "quality": "Qualité",
               "requester": "Demandeur", "relationship": "Lien avec la personne", "written_request": "Demande écrite"}
STATES = {"waiting": "en attente (délai d'opposition)", "active": "inscrite", "objected": "opposition de la personne",
          "withdrawn": "retirée", "removed": "radiée par le CCAS"}


class VulnerableEntry(Base):
    __tablename__ = "vulnerable_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, objected, withdrawn, removed
    sealed: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objection_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_review_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def state(self, now: datetime) -> str:
        if self.status != "active":
            return self.status
        return "active" if now >= self.active_from else "waiting"


class VulnerableReading(Base):
    __tablename__ = "vulnerable_readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reader_name: Mapped[str] = mapped_column(String(240), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40))
    entry_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class VulnerablePriorityList(Base):
    """The registered people to reach first in a roll-call or a crisis: which entries (the
    data stays sealed in them), why (one French sentence), when."""
    __tablename__ = "vulnerable_priority_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    entry_ids: Mapped[list] = mapped_column(JSON, default=list)
