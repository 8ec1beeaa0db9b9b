"""The notification outbox: one row per (subject, recipient, channel); what it says is one
row per distinct text in ``notification_contents`` (an alert's 200,000 rows, two texts).
``Notification.title``, ``.body``, ``.html`` read the content, in Python and in SQL."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import utcnow
from .meta import Base
from .types import UTCDateTime

CHANNELS = ("sms", "email", "push", "voice")  # voice: a call to the resident's landline
# pending → sending (claimed by a worker) → sent → delivered; or failed / cancelled
STATUSES = ("pending", "sending", "sent", "delivered", "failed", "cancelled")
# What the recipient did after delivery, in rank order (a later, lower one never
# replaces a higher one): a call answered by a machine, listened to the end,
# confirmed with the key "1" (``vvs_core.notify.calls``).
REACTIONS = ("voicemail", "listened", "confirmed")


class NotificationContent(Base):
    """``digest``: sha256 of the text (``outbox.content_digest``), none for texts written by
    an ORM object or migrated. No foreign key to it: a check per row of a fan-out."""
    __tablename__ = "notification_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _content_column(name: str):
    empty = None if name == "html" else ""

    def set_(self, value):
        self.content = self.content or NotificationContent(title="", body="", html=None)
        setattr(self.content, name, value)

    def expression(cls):
        found = sa.select(getattr(NotificationContent, name)).where(NotificationContent.id == cls.content_id)
        return sa.func.coalesce(found.scalar_subquery(), empty) if empty is not None else found.scalar_subquery()

    return hybrid_property(lambda self: getattr(self.content, name) if self.content else empty, set_, expr=expression)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # Partial (migration 0015): only the rows their statements look for, fewer index entries per row.
        *(Index(name, *columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where)) for name, columns, where in (
            ("ix_notifications_pending_due", ["next_attempt_at"], "status = 'pending'"),
            ("ix_notifications_status_claimed", ["status", "claimed_at"], "claimed_at IS NOT NULL"),
            ("ix_notifications_provider_ref", ["provider_ref"], "provider_ref IS NOT NULL"))),
        Index("ix_notifications_subject", "subject_type", "subject_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Random, drawn by each insert: the key providers see is unique across installations and
    # restores (``outbox.provider_key``); None on rows written before migration 0019.
    nonce: Mapped[str | None] = mapped_column(String(12), default=lambda: secrets.token_hex(6))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    recipient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254), default="")  # phone or e-mail at send time
    content_id: Mapped[int | None] = mapped_column(Integer, index=True)  # NotificationContent.id
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str] = mapped_column(String(40), default="")
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Until when a queue message for the row is believed to be in flight (the claim of a
    # worker, a retry's delayed message, a sweeper's re-enqueue); None: never leased.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The alert severity the row was written with (minor | moderate | severe, or ""):
    # a call at night waits for the morning unless it is urgent, fallbacks included.
    severity: Mapped[str] = mapped_column(String(12), default="")
    reaction: Mapped[str] = mapped_column(String(12), default="")  # one of REACTIONS, or ""
    reacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    content = relationship(NotificationContent, foreign_keys=[content_id],
                           primaryjoin="NotificationContent.id == Notification.content_id", lazy="joined")
    title = _content_column("title")
    body = _content_column("body")
    html = _content_column("html")
