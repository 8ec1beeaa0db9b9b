"""Interfaces of the swappable services (providers). Look them up with
``request.find_service(ISMSSender)``; the .ini chooses the implementation by name."""
from __future__ import annotations

from dataclasses import dataclass, field

from zope.interface import Attribute, Interface


@dataclass
class OutgoingSMS:
    to: str            # E.164
    text: str
    key: str           # the notification's dedupe key: unique per (subject, recipient, channel)


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    key: str = ""
    headers: dict = field(default_factory=dict)


@dataclass
class SendResult:
    """What a provider says about one message of a batch.

    ok: accepted by the provider. provider_ref: its id (for delivery receipts).
    transient: on failure, whether retrying may help. error: a short reason.
    """
    key: str
    ok: bool
    provider_ref: str | None = None
    transient: bool = False
    error: str = ""


class ISMSSender(Interface):
    name = Attribute("provider name")

    def send_batch(messages):
        """Send a list of OutgoingSMS; return one SendResult per message, same order.

        Raise TransientDeliveryError when nothing could be sent and a retry may help."""


class IEmailSender(Interface):
    name = Attribute("provider name")

    def send_batch(messages):
        """Send a list of OutgoingEmail; return one SendResult per message."""


class IPushSender(Interface):
    name = Attribute("provider name")

    def send_batch(messages):
        """Send push notifications; return one SendResult per message."""


class IGeocoder(Interface):
    name = Attribute("provider name")

    def search(query, *, limit=5, citycode=None, near=None):
        """Addresses matching ``query``: a list of GeocodeResult, best first."""

    def reverse(lon, lat):
        """The address at (lon, lat) as a GeocodeResult, or None."""


class IIdentityVerifier(Interface):
    name = Attribute("provider name")


@dataclass
class GeocodeResult:
    label: str
    lon: float
    lat: float
    score: float = 1.0
    citycode: str | None = None
    postcode: str | None = None
    city: str | None = None
