"""Communes, neighbourhood communities, memberships and the community event log."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..clock import utcnow
from .geometry import Geometry
from .meta import Base
from .types import UTCDateTime
from ..web.textsearch import place_key

MEMBER_ROLES = ("member", "referent")
MEMBERSHIP_STATUSES = ("pending", "active", "rejected", "left")


class Commune(Base):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insee: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # the name as a search compares it (migration 0020): set with the name, here or by an INSERT
    name_key: Mapped[str] = mapped_column(String(255), default=lambda ctx: place_key(ctx.get_current_parameters()["name"]))
    postcodes: Mapped[list] = mapped_column(JSON, default=list)
    centre = mapped_column(Geometry("POINT"), nullable=False)
    boundary = mapped_column(Geometry("GEOMETRY"), nullable=True)
    # the town hall's contact, for the platform team (vvs_core.communes)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: vvs.timezone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communities = relationship("Community", back_populates="commune")

    @validates("name")
    def _name_key(self, _attribute, name):
        self.name_key = place_key(name)
        return name

    department = property(lambda self: self.insee[:3 if self.insee.startswith("97") else 2])  # « 93 », « 2A », « 974 »
    label = property(lambda self: f"{self.name} ({self.department}) — {', '.join(self.postcodes or [])} · INSEE {self.insee}")


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    address_label: Mapped[str] = mapped_column(String(255), default="")
    boundary = mapped_column(Geometry("POLYGON"), nullable=False)
    validation_mode: Mapped[str] = mapped_column(String(16), default="referent")  # a key of communities.modes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    boundary_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the platform team: off the map (no point falls in it), no member, history kept.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commune = relationship("Commune", back_populates="communities")
    memberships = relationship("Membership", back_populates="community")

    def __repr__(self):
        return f"<Community {self.id} {self.name!r}>"


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "community_id", name="uq_memberships_user_community"),
                      Index("ix_memberships_community_status_requested", "community_id", "status", "requested_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", back_populates="memberships", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    community = relationship("Community", back_populates="memberships")


class CommunityEvent(Base):
    """A movement in a community's history, and the audit trail of the platform.

    ``public`` events are shown to members as "Mouvements"; the others (moderation,
    views of hidden numbers…) only to référents, the commune's agents and administrators.
    """
    __tablename__ = "community_events"
    __table_args__ = (Index("ix_community_events_community_created", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User", foreign_keys=[actor_id])
    subject_user = relationship("User", foreign_keys=[subject_user_id])
