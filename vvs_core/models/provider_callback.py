"""Provider callbacks already handled: one row per delivery receipt or inbound SMS a
provider called us with, so that a repeated call (the provider retrying, someone
replaying a URL) is refused instead of handled twice (``vvs_core.providers.callbacks``).

No phone number and no text are kept: the plugin that handled an inbound SMS holds
what it needs, under its own retention rules.
"""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from .meta import Base
from .types import UTCDateTime


class ProviderCallback(Base):
    __tablename__ = "provider_callbacks"
    __table_args__ = (UniqueConstraint("provider", "what", "ref", name="uq_provider_callbacks_provider_what_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))   # the provider's name ("ovh")
    what: Mapped[str] = mapped_column(String(12))       # "receipt" | "inbound"
    ref: Mapped[str] = mapped_column(String(100))       # receipt: "{provider_ref}:{state}"; inbound: the provider's id
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # an inbound SMS a plugin replied to
