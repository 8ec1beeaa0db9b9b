"""vvs_sms_ovh: SMS through the OVH API, delivery receipts and inbound SMS.

``vvs.sms.provider = ovh`` chooses it; settings ``vvs.sms.ovh.*`` (docs/providers.md).
The core serves the callbacks OVH calls (``/fournisseurs/ovh/{token}/…``); the sender
reads them (``parse_receipt``, ``parse_inbound``).
"""
from __future__ import annotations

from vvs_core.hooktypes import ProviderSpec
from vvs_core.plugins import hookimpl


@hookimpl
def vvs_register_providers():
    from .provider import SETTINGS, OVHSMSSender

    return [ProviderSpec("sms", "ovh", OVHSMSSender.from_settings, settings=SETTINGS, callbacks=True,
                         description="SMS through the OVH API (jobs of many receivers, receipts, inbound SMS).")]


def includeme(config):
    pass  # no route of its own: the core serves the callbacks


@hookimpl
def vvs_startup(registry):
    """The sender was built before plugins were included; give it the shared journal."""
    from vvs_core.providers import provider_on

    from .journal import DatabaseJournal
    from .provider import OVHSMSSender

    sender = provider_on(registry, "sms")
    if isinstance(sender, OVHSMSSender):
        sender.journal = DatabaseJournal(registry)
