"""vvs_sms_ovh: SMS through the OVH API, delivery receipts and inbound SMS.

``vvs.sms.provider = ovh`` chooses it; settings ``vvs.sms.ovh.*`` (docs/providers.md).
The callbacks OVH calls live under ``/fournisseurs/ovh/{token}/``.
"""
from __future__ import annotations

from vvs_core.hooktypes import ProviderSpec
from vvs_core.plugins import hookimpl


@hookimpl
def vvs_register_providers():
    from .provider import SETTINGS, OVHSMSSender

    return [ProviderSpec("sms", "ovh", OVHSMSSender.from_settings, settings=SETTINGS,
                         description="SMS through the OVH API (jobs of many receivers, receipts, inbound SMS).")]


def includeme(config):
    config.add_route("ovh_receipt", "/fournisseurs/ovh/{token}/accuse-reception")
    config.add_route("ovh_inbound", "/fournisseurs/ovh/{token}/sms-recu")
    config.scan(".views")


@hookimpl
def vvs_startup(registry):
    """The sender was built before plugins were included; give it the shared journal."""
    from vvs_core.providers import provider_on

    from .journal import DatabaseJournal
    from .provider import OVHSMSSender

    sender = provider_on(registry, "sms")
    if isinstance(sender, OVHSMSSender):
        sender.journal = DatabaseJournal(registry)
