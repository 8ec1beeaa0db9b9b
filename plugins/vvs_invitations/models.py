"""Invitations a member sends to neighbours: by e-mail, by SMS, or a shareable link
(printed on the flyer). Each carries a code that the sign-up counts when used."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

INVITATION_CHANNELS = ("email", "sms", "link")


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    # The invited address (e-mail or E.164 mobile): personal data of a non-member,
    # erased with the sender's account. Empty for a shareable link.
    address: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many people signed up through this code (a shared link may bring several).
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    last_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community = relationship("Community")
    sender = relationship("User")


class InvitationOptOut(Base):
    """A number whose owner answered STOP to an invitation SMS: no member invites it by SMS
    again. Kept as a keyed digest (``optout_digest``), not the number: nobody reads it back."""
    __tablename__ = "invitation_opt_outs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
