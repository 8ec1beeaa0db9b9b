"""What the Twilio plugin remembers: the journal of calls placed (``journal``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime


class TwilioCallJournal(Base):
    """key → the landline called and, once Twilio accepted it, the call's sid."""
    __tablename__ = "twilio_voice_journal"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    to: Mapped[str] = mapped_column(String(20))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
