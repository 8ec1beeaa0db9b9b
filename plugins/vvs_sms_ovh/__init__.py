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
    _journal_in_database(config.registry)


def _journal_in_database(registry) -> None:
    """The sender was built before plugins were included; give it the shared journal."""
    from .journal import DatabaseJournal
    from .provider import OVHSMSSender

    sender = (getattr(registry, "vvs_providers", None) or {}).get("sms")
    if isinstance(sender, OVHSMSSender):
        sender.journal = DatabaseJournal(registry)
