"""Alerts, their follow-ups, reports, moderation, posting suspensions and feed links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models import Geometry
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

STATUSES = ("held", "published", "withdrawn", "expired")
SOURCES = ("web", "sms")
SEVERITIES = ("minor", "moderate", "severe")
UPDATE_KINDS = ("update", "all_clear")
MODERATION_ACTIONS = ("approve", "withdraw", "warn", "suspend", "lift")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_community_status", "community_id", "status", "created_at"),
                      Index("ix_alerts_commune_created", "commune_id", "created_at"),
                      # the moderators' queue of held alerts (a handful among hundreds of thousands)
                      Index("ix_alerts_held", "created_at", "id", postgresql_where=text("status = 'held'"),
                            sqlite_where=text("status = 'held'")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    # None once the author's account was erased: the alert stays, signed "ancien membre".
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    place = mapped_column(Geometry("POINT"), nullable=True)
    severity: Mapped[str] = mapped_column(String(12), default="moderate")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="published")
    all_clear_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(8), default="web")
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User", foreign_keys=[author_id])
    community = relationship("Community")
    updates = relationship("AlertUpdate", back_populates="alert", order_by="AlertUpdate.id")


class AlertUpdate(Base):
    __tablename__ = "alert_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12), default="update")
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert = relationship("Alert", back_populates="updates")
    author = relationship("User", foreign_keys=[author_id])


class AlertReport(Base):
    __tablename__ = "alert_reports"
    # the open ones apart (0006): the moderators' badge looks for them among every report
    __table_args__ = (Index("ix_alert_reports_open", "alert_id", postgresql_where=text("handled IS false"),
                            sqlite_where=text("handled IS 0")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled: Mapped[bool] = mapped_column(Boolean, default=False)

    reporter = relationship("User", foreign_keys=[reporter_id])


class ModerationAction(Base):
    """The moderation journal: one row per action, on an alert and/or a user (the
    author it concerns; a lifted suspension concerns a user only)."""
    __tablename__ = "alert_moderation_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    original_text: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a suspension's end, as decided then
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    moderator = relationship("User", foreign_keys=[moderator_id])
    user = relationship("User", foreign_keys=[user_id])
    alert = relationship("Alert", foreign_keys=[alert_id])


class PostingSuspension(Base):
    """A user may not post alerts until ``until``, unless a moderator lifted it. At most
    one is in force per user: suspending again moves its end (see moderation.suspend)."""
    __tablename__ = "alert_posting_suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    moderator = relationship("User", foreign_keys=[moderator_id])


class FeedToken(Base):
    """A private feed link: only a hash of the token is stored."""
    __tablename__ = "alert_feed_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModerationPolicy(Base):
    """Pre- or post-moderation chosen by a commune (``commune_id``, with its rule for
    urgent alerts of trusted authors) or by one community (``community_id``); a mode of
    None follows the level above (see policy.mode_for)."""
    __tablename__ = "alert_moderation_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), unique=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), unique=True)
    mode: Mapped[str | None] = mapped_column(String(8))
    trusted_urgent: Mapped[str] = mapped_column(String(12), default="none")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
