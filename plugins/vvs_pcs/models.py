"""Tables of the Plan communal de sauvegarde.

``PcsCellMember``: a member of the commune's crisis cell, named in advance (an
elected official or an agent, with the phone and e-mail they are reached on).
``PcsTemplate``: a message to the population the commune prepared. ``PcsCrisis``: one
activation of the plan (or an exercise), open until « fin de crise », then carrying
its main courante as the PDF made at closing. ``PcsLogEntry``: one line of the main
courante — what was done or said, when, by whom (the name is kept as written at the
time, so the log stays whole when an account is erased).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

NAME_MAX, FUNCTION_MAX, TITLE_MAX, BODY_MAX, NOTE_MAX = 120, 120, 140, 2000, 2000

LOG_KINDS = {
    "activation": "Activation du PCS",
    "cell": "Cellule de crise prévenue",
    "register": "Registre des personnes vulnérables",
    "message": "Message à la population",
    "note": "Note",
    "end": "Fin de crise",
    "refused": "Envoi impossible",
}


class PcsCellMember(Base):
    __tablename__ = "pcs_cell_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    function: Mapped[str] = mapped_column(String(FUNCTION_MAX), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")   # E.164
    email: Mapped[str] = mapped_column(String(254), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PcsTemplate(Base):
    __tablename__ = "pcs_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PcsCrisis(Base):
    __tablename__ = "pcs_crises"
    __table_args__ = (
        # One open crisis per commune, whoever clicks « Activer le PCS » at the same moment.
        Index("uq_pcs_crises_open", "commune_id", unique=True, postgresql_where=text("ended_at IS NULL"),
              sqlite_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The commune alerts sent to the population during the crisis (their ids, as the
    # plugin sending commune alerts answered), for the end message to reach them all.
    alert_ids: Mapped[list] = mapped_column(JSON, default=list)
    log_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class PcsLogEntry(Base):
    __tablename__ = "pcs_log_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("pcs_crises.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(NAME_MAX * 2), default="")
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")

    @property
    def kind_label(self) -> str:
        return LOG_KINDS.get(self.kind, self.kind)
