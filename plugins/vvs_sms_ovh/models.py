"""What the OVH plugin remembers: the ids of the SMS it received, so that OVH
calling the same callback twice (a retry, a replay) is handled once.

No phone number and no text are kept here: the plugin that handled the SMS
(vvs_alerts) holds what it needs, under its own retention rules.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime


class OVHInboundSMS(Base):
    __tablename__ = "ovh_inbound_sms"
    __table_args__ = (UniqueConstraint("provider_id", name="uq_ovh_inbound_sms_provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # a plugin replied


class OVHSentJournal(Base):
    """key → the OVH job (tag) and receiver it was posted in; see ``journal``."""
    __tablename__ = "ovh_sms_journal"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40))
    receiver: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
