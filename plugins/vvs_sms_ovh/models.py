"""What the OVH plugin remembers: the journal of posted jobs (``journal``).

The ids of the SMS it received live in the core's ``provider_callbacks`` table
(migration 0002 moved them there)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime


class OVHSentJournal(Base):
    """key → the OVH job (tag) and receiver it was posted in; see ``journal``."""
    __tablename__ = "ovh_sms_journal"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40))
    receiver: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
