"""How OVH calls us back: delivery receipts and SMS sent to the service number.

The core serves the URLs (``/fournisseurs/ovh/{token}/…``), checks the secret token,
the rate and replays, records the receipt and hands the SMS to the plugins
(``vvs_core.providers.callbacks``); this module only reads OVH's fields. They are not
documented consistently (receipts come with ``dlr`` or ``description``, the "CGI" of
inbound SMS with ``senderid`` or ``sender``…), so each value is read from every name
it is known to come under.

Receipts (``description``/``dlr``): 1 delivered; 2 and 16 failed; 0, 4 and 8 are
intermediate states ("pending": acknowledged, nothing changes).
"""
from __future__ import annotations

import re

from vvs_core.clock import utcnow
from vvs_core.interfaces import CallbackRefused, DeliveryReceipt, InboundSMS
from vvs_core.accounts.phones import normalise_phone

PROVIDER = "ovh"
RECEIPT_STATE_FIELDS = ("dlr", "description")
RECEIPT_DELIVERED = {"1"}
RECEIPT_FAILED = {"2", "16"}
INBOUND_SENDER_FIELDS = ("senderid", "sender", "from")
INBOUND_TEXT_FIELDS = ("message", "text")
INBOUND_ID_FIELDS = ("id", "smsid")
PROVIDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
INBOUND_MAX_CHARS = 1600  # ten concatenated segments; more is not an SMS


def _first(params, names) -> str:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def parse_receipt(params) -> DeliveryReceipt:
    ref = _first(params, ("id",))
    if not PROVIDER_ID.match(ref):
        raise CallbackRefused("identifiant manquant ou invalide")
    code = _first(params, RECEIPT_STATE_FIELDS)
    if not code.isdigit():
        raise CallbackRefused("état de remise manquant ou invalide")
    if code in RECEIPT_DELIVERED:
        return DeliveryReceipt(ref, "delivered")
    if code in RECEIPT_FAILED:
        detail = _first(params, ("descriptionDlr",)) or f"code {code}, ptt {_first(params, ('ptt',)) or '?'}"
        return DeliveryReceipt(ref, "failed", f"non remis selon OVH ({detail})"[:300])
    return DeliveryReceipt(ref, "pending")


def parse_inbound(params) -> InboundSMS:
    provider_id = _first(params, INBOUND_ID_FIELDS)
    if not PROVIDER_ID.match(provider_id):
        raise CallbackRefused("identifiant manquant ou invalide")
    raw_sender = _first(params, INBOUND_SENDER_FIELDS)
    # OVH writes numbers as 0033612345678 or +33612345678.
    if raw_sender.startswith("00"):
        raw_sender = "+" + raw_sender[2:]
    sender, problem = normalise_phone(raw_sender) if raw_sender else (None, "expéditeur manquant")
    if sender is None:
        raise CallbackRefused(f"expéditeur invalide : {problem or 'numéro absent'}")
    text = _first(params, INBOUND_TEXT_FIELDS)
    if not text:
        raise CallbackRefused("message vide")
    if len(text) > INBOUND_MAX_CHARS:
        raise CallbackRefused("message trop long")
    return InboundSMS(sender=sender, text=text, provider=PROVIDER, provider_id=provider_id,
                      received_at=utcnow())
