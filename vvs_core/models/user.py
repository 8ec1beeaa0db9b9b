"""Users: residents, référents, commune agents, moderators and administrators."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Computed, Integer, LargeBinary, String, Text, column
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..clock import utcnow
from .geometry import Geometry
from .meta import Base
from .types import UTCDateTime
from ..web.textsearch import folded


class User(Base):
    __tablename__ = "users"
    # Log-in looks the address up with lower(email): migration 0006 indexes that expression.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    pseudonym: Mapped[str] = mapped_column(String(80), default="")
    # fold(name), written by the database (migration 0018): lists of members are in this order.
    last_name_key, first_name_key = (mapped_column(String, Computed(folded(column(name))), deferred=True)
                                     for name in ("last_name", "first_name"))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)   # E.164
    landline: Mapped[str | None] = mapped_column(String(20))
    hide_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    hide_landline: Mapped[bool] = mapped_column(Boolean, default=False)
    address_label: Mapped[str] = mapped_column(String(255), default="")
    home = mapped_column(Geometry("POINT"), nullable=True)
    presentation: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list] = mapped_column(JSON, default=list)
    housing: Mapped[dict] = mapped_column(JSON, default=dict)  # never shown to neighbours
    HOUSING = (("owner", "Propriétaire", (("oui", "Oui"), ("non", "Non"))),  # its fields (name, title, choices): « Mon
               ("dwelling", "Type de logement", (("maison", "Maison"), ("appartement", "Appartement"), ("autre", "Autre"))),
               ("alarm", "Logement équipé d'une alarme", (("oui", "Oui"), ("non", "Non"))))  # profil », « Mes données »
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    has_photo: Mapped[bool] = column_property(photo.isnot(None))  # without loading it: lists of members read this
    notification_prefs: Mapped[dict] = mapped_column(JSON, default=dict)
    newsletter: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    # "active", "suspended" (until ``suspended_until``, kept once over) or "banned" by the team: no session; "closed"
    status: Mapped[str] = mapped_column(String(16), default="active")
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change or logout-everywhere: older sessions stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships = relationship("Membership", back_populates="user", foreign_keys="Membership.user_id")

    @property
    def full_name(self) -> str:
        if self.status == "closed":
            return "ancien membre"
        return f"{self.first_name} {self.last_name}".strip() or self.pseudonym or "membre"

    @property
    def display_pseudonym(self) -> str:
        if self.status == "closed":
            return "ancien membre"
        return self.pseudonym or self.first_name or "membre"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    def __repr__(self):
        return f"<User {self.id}>"


class Token(Base):
    """Single-use expiring tokens: password reset, e-mail confirmation, e-mail change.

    Only a hash of the token is stored.
    """
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
