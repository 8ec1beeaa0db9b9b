"""Gazette tables: posts, their photos, replies and reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

CATEGORIES = {
    "annonce": "Petite annonce",
    "pret_don": "Prêt / don d'objet",
    "covoiturage": "Covoiturage",
    "evenement": "Fête des voisins et événements",
    "animal": "Animal perdu / trouvé",
    "objet": "Objet perdu / trouvé",
    "vie_quartier": "Vie du quartier",
    "mairie": "Information de la mairie",
}
MAX_PHOTOS = 3


class GazettePost(Base):
    __tablename__ = "gazette_posts"
    # (created_at, id) is the page's order: the newest page is read from the index (0002).
    __table_args__ = (Index("ix_gazette_posts_community_created_id", "community_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author = relationship("User")
    photos = relationship("GazettePhoto", cascade="all, delete-orphan", order_by="GazettePhoto.position")
    replies = relationship("GazetteReply", cascade="all, delete-orphan", order_by="GazetteReply.created_at")


class GazettePhoto(Base):
    __tablename__ = "gazette_photos"
    __table_args__ = (UniqueConstraint("post_id", "position", name="uq_gazette_photos_post_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("gazette_posts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class GazetteReply(Base):
    __tablename__ = "gazette_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("gazette_posts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")


class GazetteReport(Base):
    """A member's report of a post or a reply; open until a moderator decides."""
    __tablename__ = "gazette_reports"
    # the open ones apart (0003): the moderators' badge counts them among every report
    __table_args__ = (Index("ix_gazette_reports_open", "community_id", "created_at",
                            postgresql_where=text("resolved_at IS NULL"), sqlite_where=text("resolved_at IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("gazette_posts.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("gazette_replies.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
