"""The notification outbox: one row per (subject, recipient, channel), and what it says
in ``notification_contents``, one row per distinct (title, body, html).

An alert to 100,000 members is 200,000 notification rows but two or three texts (one
per channel and variant): each row references its text (``content_id``) instead of
carrying about 1.8 KB of it, so a fan-out writes small rows and a worker reads each
text once per batch (``vvs_core.notify.outbox``, ``vvs_core.notify.actors``).
``Notification.title``, ``.body`` and ``.html`` read (and, on a new object, write)
the referenced content, as Python attributes and in SQL (a scalar subquery).
"""
from __future__ import annotations

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
    """What a notification says. ``digest`` (sha256 of the three fields,
    ``vvs_core.notify.outbox.content_digest``) makes the rows written through the outbox
    unique per text; a content created with an ORM object, or carried over from before
    this table (migration 0010), has none. No foreign key points here: it would cost a
    check per notification row of a fan-out, and contents are only deleted once no
    notification references them (``vvs_core.jobs.retention``)."""
    __tablename__ = "notification_contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _content_column(name: str):
    """``Notification.<name>``: the referenced content's field ("" or None without one)."""
    empty = None if name == "html" else ""

    def get(self):
        content = self.content
        return getattr(content, name) if content is not None else empty

    def set_(self, value):
        if self.content is None:
            self.content = NotificationContent(title="", body="", html=None)
        setattr(self.content, name, value)

    def expression(cls):
        field = getattr(NotificationContent, name)
        found = sa.select(field).where(NotificationContent.id == cls.content_id).scalar_subquery()
        return found if empty is None else sa.func.coalesce(found, empty)

    return hybrid_property(get, set_, expr=expression)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_status_claimed", "status", "claimed_at"),
        Index("ix_notifications_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
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
    provider_ref: Mapped[str | None] = mapped_column(String(120), index=True)
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

    # Read with the row (one LEFT JOIN): a list of notifications shows their titles.
    content = relationship(NotificationContent, foreign_keys=[content_id],
                           primaryjoin="NotificationContent.id == Notification.content_id", lazy="joined")
    title = _content_column("title")
    body = _content_column("body")
    html = _content_column("html")
