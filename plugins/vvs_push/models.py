"""Web Push subscriptions: one row per browser (device) a resident allowed to show
notifications. The endpoint is the push service's URL for that browser; p256dh and
auth are the keys the payload is encrypted with (RFC 8291)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime


class PushSubscription(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    # Endpoints can be long: uniqueness is kept on their hash.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(120), default="")  # "Chrome sur Android", shown in the settings
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
