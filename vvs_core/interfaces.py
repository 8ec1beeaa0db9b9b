"""Interfaces of the swappable services (providers). Look them up with
``request.find_service(ISMSSender)``; the .ini chooses the implementation by name.

Every provider, of any kind, may also offer ``health() -> str | None``: None (or "")
when its service works, else a French sentence saying what is wrong. It takes no
argument, runs within a few seconds and sends nothing; ``/admin/extensions`` and
``vvs check`` show it. Optional: a provider without it is shown as « Non renseigné »."""

from dataclasses import dataclass, field

from zope.interface import Attribute, Interface

from .errors import PermanentDeliveryError, TransientDeliveryError  # noqa: F401  (part of this API)
from .hooktypes import InboundSMS  # noqa: F401  (what ``parse_inbound`` returns)


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
class OutgoingCall:
    """A voice call: ``text`` read aloud in French, then ``prompt`` (what the keys do),
    the keypad listening for one key while either is spoken.

    to: the landline, E.164. key: the notification's dedupe key (as for SMS)."""
    to: str
    text: str
    key: str
    prompt: str = ""


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


@dataclass(frozen=True)
class DeliveryReceipt:
    """What a provider's delivery receipt says about one message it accepted.

    provider_ref: the ``SendResult.provider_ref`` it gave when it accepted the message.
    state: "delivered", "failed", or "pending" (an intermediate state: acknowledged,
    nothing recorded). error: on failure, a short French reason kept on the row.
    """
    provider_ref: str
    state: str
    error: str = ""

    STATES = ("delivered", "failed", "pending")


@dataclass(frozen=True)
class CallEvent:
    """What a voice provider's callback says about one call it placed.

    provider_ref: the ``SendResult.provider_ref`` of the call. state: one of ``STATES``:
    "pending" (queued, ringing: nothing recorded), "answered" (picked up; ``by_machine``
    when an answering machine took it), "listened" (the message was read to the end),
    "keypad" (``digits`` were pressed), "completed" (hung up after being answered),
    "failed" (not answered, busy, unreachable: ``error`` says which, in French).
    """
    provider_ref: str
    state: str
    digits: str = ""
    by_machine: bool = False
    error: str = ""

    STATES = ("pending", "answered", "listened", "keypad", "completed", "failed")


class CallbackRefused(ValueError):
    """Raised by ``parse_receipt`` / ``parse_inbound`` when the call's fields are wrong
    (missing, malformed, too long): the core answers 400 with the message (French,
    plain text) and records nothing."""


class ISMSSender(Interface):
    name = Attribute("provider name")

    def send_batch(messages):
        """Send a list of OutgoingSMS; return one SendResult per message, same order.

        Raise TransientDeliveryError when nothing could be sent and a retry may help."""

    # Optional, for a provider registered with ``ProviderSpec(…, callbacks=True)``:
    # the core serves /fournisseurs/{name}/{token}/accuse-reception and …/sms-recu,
    # checks the token, the rate and replays, then calls these (docs/providers.md).

    def parse_receipt(request):
        """Read a delivery receipt from the provider's call (a Pyramid request):
        return a DeliveryReceipt, or raise CallbackRefused."""

    def parse_inbound(request):
        """Read an SMS sent to the service number from the provider's call: return an
        InboundSMS (sender in E.164, text, provider, provider_id), or raise CallbackRefused."""


class IVoiceCaller(Interface):
    """Calls to landlines: the text read aloud in French (text-to-speech), one key of
    the keypad listened to, the call's progress reported back (docs/providers.md)."""
    name = Attribute("provider name")

    def send_batch(calls):
        """Place a list of OutgoingCall; return one SendResult per call, same order,
        ``provider_ref`` the provider's id of the call (callbacks name it). Placing a
        call is "sent"; "delivered" comes when it is answered.

        Raise TransientDeliveryError when nothing could be placed and a retry may help."""

    # For a provider registered with ``ProviderSpec(…, callbacks=True)``: the core serves
    # /fournisseurs/{name}/{token}/appel, checks the token, the rate and the size, then:

    def parse_call_event(request):
        """Read the provider's call about a call's progress (a Pyramid request): return
        a CallEvent, or raise CallbackRefused (also for a call that is not authentic)."""

    def call_reply(event, speech):
        """Optional: the answer the provider expects to its call, as ``(body,
        content_type)``; ``speech`` is the French sentence to say to the person (after
        a key was pressed), or "". Without it the core answers plain text."""


class IEmailSender(Interface):
    name = Attribute("provider name")

    def send_batch(messages):
        """Send a list of OutgoingEmail; return one SendResult per message."""


class IPushDevices(Interface):
    """The devices residents subscribed to push notifications (a plugin's service).
    Without it, no resident has a device: the outbox writes no push row."""

    def users_with_devices(dbsession, user_ids):
        """The set of ``user_ids`` that have at least one device."""

    def targets(dbsession, user_id):
        """The devices one notification goes to: plain dicts ``{"id", "endpoint", "p256dh", "auth"}``."""


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
    """An identity-check partner (kind "identity", chosen by ``vvs.identity.provider``).

    A verification plugin drives it (``vvs_verification_methods``); docs/providers.md.
    """
    name = Attribute("provider name")
    label = Attribute("what the resident reads, e.g. « Vérification par MonPartenaire »")
    available = Attribute("False for the built-in 'none' provider: no partner is offered")

    def start(request, user, return_url):
        """Begin a check of ``user`` (or give back the one still open for them) whose end
        sends the browser to ``return_url``; return the URL to send their browser to.
        Raises ``vvs_core.errors.PartnerUnavailable`` when the partner does not answer."""

    def callback(request):
        """The partner sent the resident back (or called us): check the request's
        authenticity and return an IdentityResult, or None (never an exception)."""

    def result(user):
        """The partner's latest IdentityResult for ``user``, or None (none, or no answer)."""


@dataclass(frozen=True)
class IdentityResult:
    """What an identity partner says about one check.

    user_id: the user checked. status: "passed", "failed" or "pending".
    reference: the partner's id of the check (unique per check: replays are ignored).
    detail: a short French explanation for the resident (optional).
    """
    user_id: int
    status: str
    reference: str
    detail: str = ""


class NullIdentityVerifier:
    """The built-in "none" identity provider: no partner, nothing offered."""
    name = "none"
    label = "Aucun partenaire"
    available = False

    @classmethod
    def from_settings(cls, settings):
        return cls()

    def start(self, request, user, return_url):
        raise LookupError("no identity partner is configured (vvs.identity.provider = none)")

    def callback(self, request):
        return None

    def result(self, user):
        return None


@dataclass
class GeocodeResult:
    label: str
    lon: float
    lat: float
    score: float = 1.0
    citycode: str | None = None
    postcode: str | None = None
    city: str | None = None
