"""Push: the outbox's third channel, optional: its providers come with plugins
(``vvs.push.provider``), and with none chosen no page offers the channel.

A push row is for one resident; the outbox attaches the resident's devices to the
message (``OutgoingPush.devices``), so the provider needs no database. The devices
are a plugin's (it records them, and may bring a real provider) behind
``IPushDevices``: without it no one has a device, the outbox writes no push row (a
kind that must reach everyone goes by e-mail instead) and no page offers the channel.
"""

from dataclasses import dataclass, field

from vvs_core.interfaces import IPushDevices


@dataclass
class OutgoingPush:
    key: str
    title: str
    text: str
    url: str = "/"
    devices: list = field(default_factory=list)  # [{"id" (None: a follower's), "endpoint", "p256dh", "auth"}]


def link_in(text: str, base_url: str) -> str:
    """Where a tap on the notification leads: the first link to this site in its
    text (an alert's SMS text ends with the alert's address), else the home page."""
    import re

    base = (base_url or "").rstrip("/")
    for match in re.finditer(r"https?://\S+", text or ""):
        url = match.group(0).rstrip(".,;)»")
        if base and url.startswith(base + "/"):
            return url[len(base):]
    return "/"


def push_devices(registry) -> IPushDevices | None:
    """The service that knows residents' devices (``IPushDevices``), or None without one."""
    from types import SimpleNamespace

    from pyramid_services import find_service_factory

    try:
        return find_service_factory(SimpleNamespace(registry=registry), IPushDevices)(None, None)
    except (LookupError, AttributeError):  # no such service, or no registry
        return None
