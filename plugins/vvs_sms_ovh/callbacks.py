"""What OVH tells us by calling our URLs: delivery receipts and SMS sent to the
service number.

OVH signs nothing, so each callback URL carries a secret token
(``vvs.sms.ovh.callback_token``); a wrong or missing token changes nothing. The
field names OVH uses are not documented consistently (receipts come with ``dlr``
or ``description``, the "CGI" of inbound SMS with ``senderid`` or ``sender``…),
so each value is read from every name it is known to come under.

Receipts (``description``/``dlr``): 1 delivered; 2 and 16 failed; 0, 4 and 8 are
intermediate states and are acknowledged without changing anything. Applying a
receipt twice or out of order is safe (``vvs_core.notify.outbox.record_receipt``).
"""
from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from vvs_core.clock import utcnow
from vvs_core.hooktypes import InboundSMS
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications, record_receipt
from vvs_core.phones import mask_phone, normalise_phone

from .models import OVHInboundSMS

log = logging.getLogger(__name__)

PROVIDER = "ovh"
RECEIPT_STATE_FIELDS = ("dlr", "description")
RECEIPT_DELIVERED = {"1"}
RECEIPT_FAILED = {"2", "16"}
INBOUND_SENDER_FIELDS = ("senderid", "sender", "from")
INBOUND_TEXT_FIELDS = ("message", "text")
INBOUND_ID_FIELDS = ("id", "smsid")
PROVIDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
INBOUND_MAX_CHARS = 1600  # ten concatenated segments; more is not an SMS


class CallbackRefused(ValueError):
    """The callback's fields are wrong: answered 400, nothing changed."""


def token_matches(settings, token: str) -> bool:
    expected = settings.get("vvs.sms.ovh.callback_token") or ""
    if not expected:
        return False  # callbacks are off until a token is configured
    return hmac.compare_digest(str(token).encode("utf-8"), expected.encode("utf-8"))


def _first(params, names) -> str:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


# --- delivery receipts -----------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    provider_ref: str
    state: str          # "delivered" | "failed" | "pending"
    error: str = ""


def parse_receipt(params) -> Receipt:
    ref = _first(params, ("id",))
    if not PROVIDER_ID.match(ref):
        raise CallbackRefused("identifiant manquant ou invalide")
    code = _first(params, RECEIPT_STATE_FIELDS)
    if not code.isdigit():
        raise CallbackRefused("état de remise manquant ou invalide")
    if code in RECEIPT_DELIVERED:
        return Receipt(ref, "delivered")
    if code in RECEIPT_FAILED:
        detail = _first(params, ("descriptionDlr",)) or f"code {code}, ptt {_first(params, ('ptt',)) or '?'}"
        return Receipt(ref, "failed", f"non remis selon OVH ({detail})"[:300])
    return Receipt(ref, "pending")


def apply_receipt(dbsession, params) -> str:
    """Record a delivery receipt; returns what happened, for the answer and the log."""
    receipt = parse_receipt(params)
    if receipt.state == "pending":
        return "état intermédiaire ignoré"
    known = record_receipt(dbsession, PROVIDER, receipt.provider_ref,
                           receipt.state == "delivered", receipt.error)
    if not known:
        log.info("OVH receipt for unknown SMS id %s", receipt.provider_ref)
        return "référence inconnue"
    return "enregistré"


# --- inbound SMS -------------------------------------------------------------------

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


def remember_inbound(dbsession, provider_id: str) -> int | None:
    """Store the id; None when it was already there (a replayed callback).

    An INSERT … ON CONFLICT DO NOTHING: two simultaneous copies of one callback
    cannot both get a row (the second waits for the first to commit).
    """
    dialect = dbsession.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(OVHInboundSMS)
            .values(provider_id=provider_id, received_at=utcnow(), answered=False)
            .on_conflict_do_nothing(index_elements=["provider_id"])
            .returning(OVHInboundSMS.id))
    return dbsession.scalar(stmt)


def handle_inbound(request, params) -> str:
    """Hand a new inbound SMS to the plugins; queue their reply to the sender.

    The reply is an outbox notification keyed by the OVH id, so even a replay that
    slipped past the id table could not send it twice.
    """
    message = parse_inbound(params)
    row_id = remember_inbound(request.dbsession, message.provider_id)
    if row_id is None:
        return "déjà reçu"
    reply = request.registry.vvs_plugins.hook.vvs_inbound_sms(request=request, message=message)
    if not reply:
        log.info("inbound SMS %s from %s: no plugin answered", message.provider_id, mask_phone(message.sender))
        return "reçu"
    request.dbsession.execute(sa.update(OVHInboundSMS).where(OVHInboundSMS.id == row_id).values(answered=True))
    ids = insert_notifications(request.dbsession, [dict(
        dedupe_key=f"sms-reply:{PROVIDER}:{message.provider_id}", kind="sms-reply",
        subject_type="inbound_sms", subject_id=row_id, channel="sms", address=message.sender,
        title="Réponse à votre SMS", body=str(reply),
    )])
    enqueue_delivery_after_commit(request, ids)
    return "reçu, réponse envoyée"
