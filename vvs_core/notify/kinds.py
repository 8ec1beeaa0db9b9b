"""The registry of notification kinds, and the one rule for a resident's channels.

Whoever sends a kind of notification declares it (``vvs_register_notification_kinds``,
a list of ``NotificationKind``): its French label on the settings page, whether it
waits for quiet hours, whether it always reaches the resident on at least one
channel, its default channels. The core reads nothing else: the settings page, the
quiet hours and the "at least one channel" rule come from this registry, kept on
``registry.vvs_notification_kinds``. A kind nobody declared is sent at once, on the
channels its sender names, and never shown in the settings.
"""

from ..errors import ConfigurationError
from ..hooktypes import NotificationKind
from ..models.notification import CHANNELS
from ..plugins import collect_declared

class NotificationKinds:
    """The declared kinds, by key, in settings order."""

    def __init__(self, kinds=()):
        self._kinds: dict[str, NotificationKind] = {}
        for kind in sorted(kinds, key=lambda k: (k.order, k.key)):
            self._kinds[kind.key] = kind

    def get(self, key: str) -> NotificationKind:
        """The declared kind, or for an undeclared key one that is sent at once, on the
        resident's channels for that key if they have any, else the sender's, never shown."""
        return self._kinds.get(key) or NotificationKind(key=key, label="", in_settings=False)

    def __contains__(self, key) -> bool:
        return key in self._kinds

    def __iter__(self):
        return iter(self._kinds.values())

    def in_settings(self) -> list[NotificationKind]:
        return [k for k in self if k.in_settings]

    def quiet_keys(self) -> set[str]:
        return {k.key for k in self if k.quiet}

    def with_severities(self) -> list[NotificationKind]:
        return [k for k in self.in_settings() if k.severities]


def collect_notification_kinds(pm) -> NotificationKinds:
    """Every kind the core and the enabled plugins declare; two declarations of one key stop start-up."""
    found = collect_declared(pm, "vvs_register_notification_kinds", NotificationKind, "notification kind")
    for kind in found.values():
        if any(c not in CHANNELS for c in kind.default_channels):
            raise ConfigurationError(f"notification kind {kind.key!r}: channels among {', '.join(CHANNELS)} only")
    return NotificationKinds(found.values())


def kinds_of(registry) -> NotificationKinds:
    return getattr(registry, "vvs_notification_kinds", None) or NotificationKinds()


def kinds_for_session(dbsession) -> NotificationKinds:
    """The kinds of the application ``dbsession`` works for; none declared for a bare
    session outside any application (tests then pass ``kinds`` themselves)."""
    from ..models import registry_of_session

    registry = registry_of_session(dbsession)
    return kinds_of(registry) if registry is not None else NotificationKinds()


# --- A resident's channels for a kind ------------------------------------------------

def address_on(user, channel: str) -> str:
    """Where ``user`` (a ``User`` or a row with ``id``, ``email``, ``mobile``,
    ``landline``) is reached on ``channel``; "" when they have no address there. Push
    subscriptions belong to the push provider, which finds them by user id."""
    if channel == "email":
        return getattr(user, "email", None) or ""
    if channel == "sms":
        return getattr(user, "mobile", None) or ""
    if channel == "voice":
        return getattr(user, "landline", None) or ""
    if channel == "push":
        return str(user.id) if getattr(user, "id", None) is not None else ""
    return ""


def wanted_channels(user, kind: NotificationKind, defaults=None) -> list[str]:
    """The channels ``user`` chose for ``kind`` (its defaults while they chose nothing).

    For a kind declared ``voice``, a resident who wants SMS but has only a landline
    wants a call instead: the call is their SMS."""
    prefs = getattr(user, "notification_prefs", None) or {}
    wanted = prefs.get(kind.key)
    if wanted is None:
        wanted = kind.default_channels if defaults is None else defaults
    wanted = [c for c in wanted if c in CHANNELS and (c != "voice" or kind.voice)]
    if kind.voice and "sms" in wanted and "voice" not in wanted and not address_on(user, "sms") \
            and address_on(user, "voice"):
        wanted.append("voice")
    return wanted


def channels_for(user, kind: NotificationKind, usable, defaults=None) -> list[str]:
    """The channels a ``kind`` notification goes to ``user`` on, among ``usable`` (those
    with a provider, and that the sender allows). Channels without an address are left
    out (and "voice" for kinds not declared ``voice``); an ``always_reach`` kind keeps
    one channel when the resident chose none that works."""
    usable = [c for c in CHANNELS if c in usable and address_on(user, c) and (c != "voice" or kind.voice)]
    chosen = [c for c in usable if c in wanted_channels(user, kind, defaults)]
    if not chosen and kind.always_reach and usable:
        first = (*(kind.default_channels if defaults is None else defaults), *usable)
        chosen = [next(c for c in first if c in usable)]
    return chosen
