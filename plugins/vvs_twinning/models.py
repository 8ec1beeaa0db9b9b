"""A twinning between two neighbouring communities."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

STATUSES = ("proposed", "active", "declined", "ended")
OPEN_STATUSES = ("proposed", "active")


def pair_key(first_id: int, second_id: int) -> str:
    """The same key whichever community proposed: "smaller-larger"."""
    low, high = sorted((int(first_id), int(second_id)))
    return f"{low}-{high}"


class Twinning(Base):
    """``community_a`` proposed to ``community_b``.

    ``open_pair`` holds the pair key while the twinning is proposed or active and is
    NULL afterwards: its unique constraint allows one open twinning per pair of
    communities, whatever the order, on PostgreSQL and SQLite alike (NULLs differ).
    """
    __tablename__ = "twinnings"
    __table_args__ = (UniqueConstraint("open_pair", name="uq_twinnings_open_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_a_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    community_b_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    open_pair: Mapped[str | None] = mapped_column(String(40))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community_a = relationship("Community", foreign_keys=[community_a_id])
    community_b = relationship("Community", foreign_keys=[community_b_id])

    def other_id(self, community_id: int) -> int:
        return self.community_b_id if self.community_a_id == community_id else self.community_a_id

    def other(self, community_id: int):
        return self.community_b if self.community_a_id == community_id else self.community_a

    def involves(self, community_id: int) -> bool:
        return community_id in (self.community_a_id, self.community_b_id)
