"""The one table of vvs_followers: a confirmed number or address that follows a
commune's town hall, with nothing else (no name, no account)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vvs_core.clock import utcnow
from vvs_core.models.geometry import Geometry
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

STATUSES = ("pending", "active")


class Follower(Base):
    """One channel of one person for one commune.

    ``address``: the E.164 number (SMS, voice) or the e-mail address, lower-cased; for a
    browser (push), the SHA-256 of its push endpoint, which ``endpoint``, ``p256dh`` and
    ``auth`` hold (what the browser's ``PushManager.subscribe`` gave: where to send, and
    the keys to encrypt with).
    ``home``: the point their optional address was geocoded to (the address itself is
    not kept), so that alerts on a zone reach them. ``secret_digest``: the HMAC of the
    confirmation code (SMS, voice) or link (e-mail) while pending; None once confirmed.
    """
    __tablename__ = "followers"
    __table_args__ = (
        UniqueConstraint("commune_id", "channel", "address", name="uq_followers_commune_channel_address"),
        Index("ix_followers_channel_address", "channel", "address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    home = mapped_column(Geometry("POINT"), nullable=True)
    secret_digest: Mapped[str | None] = mapped_column(String(64))
    secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    news: Mapped[bool] = mapped_column(Boolean, default=False)  # the mairie's news too, not only its alerts
    endpoint: Mapped[str | None] = mapped_column(Text)
    p256dh: Mapped[str | None] = mapped_column(String(200))
    auth: Mapped[str | None] = mapped_column(String(100))

    @property
    def key(self) -> str:
        """How the follower is named in the outbox and the proof of warning."""
        return f"abonne-{self.id}"
