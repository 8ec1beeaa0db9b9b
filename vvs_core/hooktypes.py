"""Small value types that hooks receive and return."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


@dataclass(frozen=True)
class MenuItem:
    """An entry of the header menu. ``url`` is absolute or site-relative."""
    label: str
    url: str
    order: int = 50
    badge: int | None = None  # e.g. unread count


@dataclass(frozen=True)
class Panel:
    """A block of HTML a plugin adds to a page (community page, dashboard).

    ``html`` must already be escaped/rendered (render a template for it).
    """
    title: str
    html: str
    order: int = 50


@dataclass(frozen=True)
class ActivityItem:
    """One line of recent activity on the resident's home page."""
    when: datetime
    text: str
    url: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class Recipient:
    """Someone an alert must reach: a user id and the channels allowed for them."""
    user_id: int
    channels: tuple[str, ...] = ("sms", "email", "push")
    reason: str = ""


@dataclass
class ProviderSpec:
    """What a provider plugin registers.

    kind: "sms", "email", "geocoder", "push", "identity"…
    name: what the .ini names (``vvs.sms.provider = ovh``).
    factory: ``factory(settings: dict) -> service``; called once at start-up.
    settings: the settings the provider reads (declared like any other setting).
    """
    kind: str
    name: str
    factory: Callable[[dict], Any]
    settings: list = field(default_factory=list)
    description: str = ""


@dataclass(frozen=True)
class InboundSMS:
    """An SMS received by the service number."""
    sender: str      # E.164
    text: str
    provider: str
    provider_id: str  # the provider's id of the message, for idempotency
    received_at: datetime | None = None
