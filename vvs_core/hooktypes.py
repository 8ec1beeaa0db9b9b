"""Small value types that hooks receive and return."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol


@dataclass(frozen=True)
class MenuItem:
    """An entry of the header menu. ``url`` is absolute or site-relative.

    ``badge`` (an unread count…) and ``only_if`` may be SQL scalar expressions
    (``select(func.count()).where(…).scalar_subquery()``) rather than values: the core
    evaluates those of every plugin together, in one statement per page, so that the
    header costs one query whatever the number of plugins. An item whose ``only_if``
    is false is left out."""
    label: str
    url: str
    order: int = 50
    badge: Any = None  # e.g. unread count: a number, or a SQL scalar expression
    only_if: Any = None  # None: always shown; else a SQL scalar expression (shown when true)
    work: bool = False  # staff's work (a queue, the administration): the home of someone in no community lists it


@dataclass(frozen=True)
class FooterLink:
    """A link of the footer of every page, after the charter's: French ``label``, ``url``."""
    label: str
    url: str
    order: int = 50


@dataclass(frozen=True)
class Panel:
    """A block of HTML a plugin adds to a page (community page, dashboard).

    ``html`` must already be escaped/rendered (render a template for it). Or, to stay
    within the page's query budget, give no ``html`` but ``read``, a SQL scalar
    expression (a list through ``vvs_core.web.batch.json_rows(select(…))``), and ``render``,
    which turns its value into the HTML: the core reads every panel's ``read`` together
    with the menu's badges, in one statement (``vvs_core.web.batch``).
    """
    title: str
    html: Any = ""
    order: int = 50
    read: Any = None
    render: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class MembershipBadge:
    """A short fact shown on a pending membership request (``vvs_membership_badges``):
    ``tone`` "ok", "pending" or "warning" picks its colour."""
    membership_id: int
    label: str
    tone: str = "pending"


@dataclass(frozen=True)
class ActivityItem:
    """One line of recent activity on the resident's home page."""
    when: datetime
    text: str
    url: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class Recipient:
    """Someone an alert must reach: a user id, the channels allowed, how its people are named to them."""
    user_id: int
    channels: tuple[str, ...] = ("sms", "email", "push")
    reason: str = ""
    shown: str = "name"  # or "pseudonym" (someone outside the alert's community)


@dataclass
class ProviderSpec:
    """What a provider plugin registers.

    kind: "sms", "email", "geocoder", "push", "identity"…
    name: what the .ini names (``vvs.sms.provider = ovh``).
    factory: ``factory(settings: dict) -> service``; called once at start-up.
    settings: the settings the provider reads (declared like any other setting).
    callbacks: the provider is called back (delivery receipts, inbound SMS): the core
    serves ``/fournisseurs/{name}/{token}/…`` for it and declares its settings
    ``vvs.{kind}.{name}.callback_token`` and ``vvs.{kind}.{name}.callback_rate``
    (``vvs_core.providers.callbacks``).
    """
    kind: str
    name: str
    factory: Callable[[dict], Any]
    settings: list = field(default_factory=list)
    description: str = ""
    callbacks: bool = False


@dataclass(frozen=True)
class InboundSMS:
    """An SMS received by the service number."""
    sender: str      # E.164
    text: str
    provider: str
    provider_id: str  # the provider's id of the message, for idempotency
    received_at: datetime | None = None


@dataclass(frozen=True)
class KeypadAnswer:
    """A key pressed during a call of the outbox (``vvs_voice_keypad_answer``).

    notification_id, kind, subject_type, subject_id, recipient_id: the notification
    row the call delivered (its sender's subject: a commune alert, a roll-call…).
    digits: the keys pressed ("1", "2"…). provider, provider_ref: who placed the call.
    """
    notification_id: int
    kind: str
    subject_type: str
    subject_id: int | None
    recipient_id: int | None
    digits: str
    provider: str
    provider_ref: str


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification (``Notification.kind``), declared by whoever sends it.

    key: the stored kind, and the key of the resident's preference
    (``User.notification_prefs[key]``: a list of channels, plus any ``extra_choices``).
    label: French, shown on the notification settings page.
    quiet: waits for the end of the resident's quiet hours.
    always_reach: reaches the resident on at least one channel whatever they chose
    (the settings page then refuses an empty choice).
    default_channels: the channels used while the resident has chosen nothing.
    in_settings: shown on the settings page (False for kinds the resident cannot
    refuse, such as a password reset, or that follow another kind's preference).
    extra_choices: ``(value, French label)`` options offered beside the channels
    (e.g. a weekly digest); the sender reads them from the preference.
    severities: the rows carry an alert severity, and residents may set a minimum
    severity per channel (urgent ones always go through).
    voice: may reach residents by a call to their landline (channel "voice"): the
    call stands in for the SMS of a resident who has a landline and no mobile, and
    residents may choose it. A kind that is also ``always_reach`` falls back from a
    channel that failed for good to the next one (SMS, then voice, then e-mail).
    """
    key: str
    label: str
    quiet: bool = False
    always_reach: bool = False
    default_channels: tuple[str, ...] = ("email",)
    in_settings: bool = True
    extra_choices: tuple[tuple[str, str], ...] = ()
    severities: bool = False
    order: int = 50
    voice: bool = False


@dataclass(frozen=True)
class EventKind:
    """A kind of community event (``CommunityEvent.kind``), declared by whoever records it.

    label: French, shown in the community's movements and history.
    public: members see it among the movements; otherwise only référents, the
    commune's agents and the platform team (audit).
    describe: optional ``describe(event) -> str``, what follows the label (e.g.
    ``" avec « Les Tilleuls »"``) from ``event.data``; never a hidden number or address.
    """
    key: str
    label: str
    public: bool = False
    describe: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class ValidationMode:
    """A way of deciding who joins a community (``Community.validation_mode`` holds its key), in French:
    label (« Validation par le référent »), name in the queues (« Référent »), decider as the pending
    resident reads it (« le référent de votre communauté »), appointer of référents (« un référent »),
    explanation (the pending resident's « Qui décide ? »), imposed_by when ``vvs_validation_mode_imposed``
    fixes it (``{commune}``: « de <commune> »); deciders(community): the principals granted ``membership.decide``."""
    key: str
    label: str
    name: str
    decider: str
    appointer: str
    explanation: str = ""
    imposed_by: str = ""
    deciders: Callable[[Any], list[str]] = lambda community: []


@dataclass(frozen=True)
class PrincipalKind:
    """A security principal a plugin grants through ``vvs_principals``.

    pattern: the principal with its variable parts in braces, e.g.
    ``"commune:{insee}:agent"``; every principal a plugin returns must match a
    declared pattern. label: French, what holding it means. staff: holding it makes
    the user staff (a town hall's agent…): a page refused to them says so plainly,
    never that they should join a community first.
    """
    pattern: str
    label: str
    staff: bool = False


@dataclass(frozen=True)
class SettingsSection:
    """A page of « Mes paramètres » (``vvs_settings_sections``): the route of the page,
    its title in the menu and the line under it on the overview; ``order`` places it
    (the core's own pages use 10 to 40 and 70 to 90)."""
    route_name: str
    title: str
    description: str
    order: int = 50

    def __iter__(self):  # templates read (route, title, description)
        return iter((self.route_name, self.title, self.description))

    def __getitem__(self, index):
        return (self.route_name, self.title, self.description)[index]


@dataclass(frozen=True)
class CommunityLink:
    """A link under a community on the pages ``vvs_community_links`` names (home page
    card, community page, référent's tools): French ``label``, ``url``, an optional
    ``note`` shown after it in grey (« 3 envoyées, 1 inscription »)."""
    community_id: int
    label: str
    url: str
    note: str = ""
    order: int = 50


@dataclass(frozen=True)
class Command:
    """A sub-command of ``vvs`` that a plugin adds (``vvs_register_commands``): ``name``
    (the word after ``vvs``), ``help`` (one line), ``run(loaded, args) -> int`` (exit
    code; ``loaded`` is a ``vvs_core.cli.Loaded``: ini, settings, plugin manager, database
    URL; raise ``vvs_core.cli.CommandError`` for a one-line error) and optionally
    ``arguments(parser)`` to add options (the .ini argument is there already)."""
    name: str
    help: str
    run: Callable[[Any, Any], int]
    arguments: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Authenticated:
    """The answer of ``vvs_authenticate``: the request carried a credential of the
    plugin's own (a token…); ``user`` is None when that credential is not valid (the
    request is then anonymous: the session is not read)."""
    user: Any


class VerificationMethod(Protocol):
    """A way for a resident to prove their address or identity (``vvs_verification_methods``)."""
    name: str
    label: str
    description: str

    @property
    def url(self) -> str: ...

    def status(self, user) -> str:
        """"none", "pending", "passed" or "failed"."""


@dataclass(frozen=True)
class RetentionRule:
    """Rows a plugin has the retention machinery delete (``vvs purge``, the periodic
    purge), or keeps from the periods of the core's tables (the retention plugin's hook).

    name: what the purge reports ("preuves d'alerte"). model: a mapped class with an
    integer ``id``. old: ``old(session, now)`` → the SQL condition on ``model`` of the
    rows to delete now (``now``: an aware UTC datetime); None to delete nothing.
    keeps: a SQL condition on ``model`` of rows that the core's own period for that table
    (``vvs.retention.notifications_days``, ``vvs.retention.events_days``) must leave
    alone, because this rule decides their fate; None for none.
    """
    name: str
    model: Any
    old: Callable[[Any, Any], Any]
    keeps: Any = None
