"""The URLs providers call back: delivery receipts and SMS sent to the service number.

A provider registered with ``ProviderSpec(…, callbacks=True)`` gets, from the core:

- ``/fournisseurs/{name}/{token}/accuse-reception`` (route ``provider_receipt``),
  ``/fournisseurs/{name}/{token}/sms-recu`` (route ``provider_inbound``) and, for a
  voice provider, ``/fournisseurs/{name}/{token}/appel`` (route ``provider_call``: a
  call's progress and its keypad answers), by GET or POST;
- two settings, ``vvs.{kind}.{name}.callback_token`` (secret, at least 32 characters;
  empty: every call is refused) and ``vvs.{kind}.{name}.callback_rate`` (calls per
  client address, ``count/seconds``);
- the checks, in this order: the provider is the chosen one and has the method (404),
  the rate per client address (429 with ``Retry-After``), the token, compared in
  constant time (403), the size of the call (413), the provider's own reading of the
  call, ``parse_receipt(request)`` / ``parse_inbound(request)`` /
  ``parse_call_event(request)`` (400 on ``CallbackRefused`` or anything it cannot
  read), a call already handled (409, from the one ``provider_callbacks`` table; a
  call event replayed is answered as the first time, recording nothing, because the
  provider reads the answer to go on with the call);
- then the work: a receipt updates the outbox row (``record_receipt``); an inbound SMS
  goes to the ``vvs_inbound_sms`` hook and the reply it returns goes back to the sender
  through the outbox, keyed ``sms-reply:{name}:{id}``; a call event updates the call's
  row (``vvs_core.notify.calls``) and its keys go to ``vvs_voice_keypad_answer``; the
  answer is the provider's own (``call_reply``: TwiML for Twilio).

Providers cannot send a CSRF token: the secret in the URL is what authenticates the
call, so these views are exempt. Every answer is French plain text; a refused call
records nothing.
"""

import hmac
import logging
from datetime import timedelta

import sqlalchemy as sa
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.dialects import postgresql, sqlite

from vvs_core.clock import utcnow
from vvs_core.hooktypes import InboundSMS
from vvs_core.interfaces import CallbackRefused, CallEvent, DeliveryReceipt
from vvs_core.models.provider_callback import ProviderCallback
from vvs_core.accounts.phones import mask_phone
from vvs_core.providers import KINDS, find_provider
from vvs_core.web.ratelimit import client_address, limiter
from vvs_core.settings import Setting, as_rate

log = logging.getLogger(__name__)

TOKEN_MIN = 32
MAX_BODY = 64 * 1024          # no receipt nor SMS needs more
MAX_QUERY = 8 * 1024
KEEP = timedelta(days=90)     # a call replayed later than this is handled again
PRUNE_EVERY = 500             # rows: old ones are deleted once per this many inserts


# --- settings ----------------------------------------------------------------------

def _token(value) -> str:
    value = str(value)
    if value and len(value) < TOKEN_MIN:
        raise ValueError(f"at least {TOKEN_MIN} characters: it is the callbacks' only secret")
    return value


def callback_settings(spec) -> list[Setting]:
    """The two settings the core declares for a provider with ``callbacks=True``."""
    prefix = f"vvs.{spec.kind}.{spec.name}."
    return [
        Setting(prefix + "callback_token", "", (
            f"Secret in the URLs {spec.name} calls back (/fournisseurs/{spec.name}/TOKEN/…), at least "
            f"{TOKEN_MIN} characters. Empty: callbacks refused."), secret=True, parse=_token),
        Setting(prefix + "callback_rate", "600/60",
                "Callbacks accepted per calling address: `count/seconds`.", parse=as_rate),
    ]


# --- the checks --------------------------------------------------------------------

class Refusal(Exception):
    """A call refused before anything is recorded: status and French text."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/plain", charset="utf-8")


def callback_provider(request, name: str, method: str):
    """(kind, provider) for the chosen provider called ``name`` that has ``method``."""
    for kind in KINDS:
        provider = find_provider(request, kind)
        if provider is not None and getattr(provider, "name", None) == name and callable(getattr(provider, method, None)):
            return kind, provider
    raise Refusal(404, "fournisseur inconnu")


def check_call(request, purpose: str):
    """Every check before the provider reads the call; returns (kind, provider)."""
    name = request.matchdict["provider"]
    kind, provider = callback_provider(request, name, WORK[purpose][0])
    prefix = f"vvs.{kind}.{name}."
    settings = request.registry.settings
    rate = settings.get(prefix + "callback_rate") or "600/60"
    limiter(request, f"provider-callback:{name}", rate=rate).check(client_address(request))
    expected = settings.get(prefix + "callback_token") or ""  # callbacks are off until a token is configured
    if not expected or not hmac.compare_digest(str(request.matchdict["token"]).encode(), expected.encode()):
        raise Refusal(403, "accès refusé")
    if (request.content_length or 0) > MAX_BODY or len(request.query_string) > MAX_QUERY:
        raise Refusal(413, "requête trop grande")
    return kind, provider


def read_call(provider, method: str, request, expected_type):
    """The provider's reading of the call, or a 400 refusal: a provider reading
    garbage may raise anything, and garbage is never worth a 500."""
    try:
        value = getattr(provider, method)(request)
    except CallbackRefused as exc:
        raise Refusal(400, str(exc) or "requête refusée") from None
    except Exception:
        log.warning("provider %s could not read a callback", provider.name, exc_info=True)
        raise Refusal(400, "requête illisible") from None
    if not isinstance(value, expected_type):
        log.error("provider %s: %s returned %r, not a %s", provider.name, method, type(value), expected_type.__name__)
        raise Refusal(400, "requête illisible")
    return value


def remember(dbsession, provider: str, what: str, ref: str) -> int | None:
    """Note this call; None when it was noted before (a replay).

    An INSERT … ON CONFLICT DO NOTHING: two simultaneous copies of one call cannot
    both get a row (the second waits for the first to commit).
    """
    insert = postgresql.insert if dbsession.get_bind().dialect.name == "postgresql" else sqlite.insert
    row_id = dbsession.scalar(
        insert(ProviderCallback)
        .values(provider=provider, what=what, ref=ref[:100], received_at=utcnow(), answered=False)
        .on_conflict_do_nothing(index_elements=["provider", "what", "ref"])
        .returning(ProviderCallback.id))
    if row_id is not None and row_id % PRUNE_EVERY == 0:
        dbsession.execute(sa.delete(ProviderCallback).where(ProviderCallback.received_at < utcnow() - KEEP))
    return row_id


# --- the work ----------------------------------------------------------------------

def _forget(dbsession, row_id: int) -> None:
    """An event for a reference the outbox has not recorded yet (a fast provider's
    callback can overtake it) is not a replay when it comes again: not remembered."""
    dbsession.execute(sa.delete(ProviderCallback).where(ProviderCallback.id == row_id))


def apply_receipt(request, provider, receipt: DeliveryReceipt) -> str:
    from vvs_core.notify.outbox import record_receipt

    if receipt.state not in DeliveryReceipt.STATES or not str(receipt.provider_ref or "").strip():
        log.error("provider %s returned an unusable receipt %r", provider.name, receipt)
        raise Refusal(400, "requête illisible")
    if receipt.state == "pending":
        return "état intermédiaire ignoré"
    row_id = remember(request.dbsession, provider.name, "receipt", f"{receipt.provider_ref}:{receipt.state}")
    if row_id is None:
        raise Refusal(409, "déjà reçu")
    known = record_receipt(request.dbsession, provider.name, receipt.provider_ref,
                           receipt.state == "delivered", receipt.error)
    if not known:
        log.info("%s receipt for an unknown reference %s", provider.name, receipt.provider_ref)
        _forget(request.dbsession, row_id)
        return "référence inconnue"
    return "enregistré"


def handle_inbound(request, provider, message: InboundSMS) -> str:
    """Hand a new inbound SMS to the plugins; queue their reply to the sender.

    The reply is an outbox notification keyed by the provider's id, so even a replay
    that slipped past the table could not send it twice.
    """
    from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
    from vvs_core.accounts.phones import normalise_phone

    provider_id = str(message.provider_id or "").strip()
    sender, _problem = normalise_phone(message.sender or "")
    if not provider_id or sender != message.sender or not str(message.text or "").strip():
        log.error("provider %s returned an unusable inbound SMS (id %r)", provider.name, provider_id)
        raise Refusal(400, "requête illisible")
    row_id = remember(request.dbsession, provider.name, "inbound", provider_id)
    if row_id is None:
        raise Refusal(409, "déjà reçu")
    reply = request.registry.vvs_plugins.hook.vvs_inbound_sms(request=request, message=message)
    if not reply:
        log.info("inbound SMS %s from %s: no plugin answered", provider_id, mask_phone(message.sender))
        return "reçu"
    request.dbsession.execute(sa.update(ProviderCallback).where(ProviderCallback.id == row_id).values(answered=True))
    ids = insert_notifications(request.dbsession, [dict(
        dedupe_key=f"sms-reply:{provider.name}:{provider_id}", kind="sms-reply",
        subject_type="provider_callback", subject_id=row_id, channel="sms", address=message.sender,
        title="Réponse à votre SMS", body=str(reply),
    )])
    enqueue_delivery_after_commit(request, ids)
    return "reçu, réponse envoyée"


def apply_call_event(request, provider, event: CallEvent):
    """A call's progress or its keys: recorded once; the provider gets its answer
    (``call_reply``) every time, since it may be waiting for it to go on with the call."""
    from vvs_core.notify.calls import record_call_event

    if event.state not in CallEvent.STATES or not str(event.provider_ref or "").strip():
        log.error("provider %s returned an unusable call event %r", provider.name, event)
        raise Refusal(400, "requête illisible")
    what, speech = "déjà reçu", ""
    if event.state == "pending":
        what = "état intermédiaire ignoré"
    elif (row_id := remember(request.dbsession, provider.name, "call",
                             f"{event.provider_ref}:{event.state}:{event.digits}")) is not None:
        what, speech = record_call_event(request, provider.name, event)
        if what == "référence inconnue":
            _forget(request.dbsession, row_id)
    reply = getattr(provider, "call_reply", None)
    if not callable(reply):
        return speech or what
    body, content_type = reply(event, speech)
    return Response(body, content_type=content_type, charset="utf-8")


# --- views -------------------------------------------------------------------------

WORK = {"receipt": ("parse_receipt", DeliveryReceipt, apply_receipt),
        "inbound": ("parse_inbound", InboundSMS, handle_inbound),
        "call": ("parse_call_event", CallEvent, apply_call_event)}


def serve_callback(request, purpose: str) -> Response:
    method, expected_type, work = WORK[purpose]
    try:
        _kind, provider = check_call(request, purpose)
        answer = work(request, provider, read_call(provider, method, request, expected_type))
        return answer if isinstance(answer, Response) else _text(answer)
    except Refusal as refusal:
        return _text(refusal.text, refusal.status)


@view_config(route_name="provider_receipt", request_method=("GET", "POST"), permission="public", require_csrf=False)
def delivery_receipt(request):
    return serve_callback(request, "receipt")


@view_config(route_name="provider_inbound", request_method=("GET", "POST"), permission="public", require_csrf=False)
def inbound_sms(request):
    return serve_callback(request, "inbound")


@view_config(route_name="provider_call", request_method=("GET", "POST"), permission="public", require_csrf=False)
def call_event(request):
    return serve_callback(request, "call")


def includeme(config):
    config.add_route("provider_receipt", "/fournisseurs/{provider}/{token}/accuse-reception")
    config.add_route("provider_inbound", "/fournisseurs/{provider}/{token}/sms-recu")
    config.add_route("provider_call", "/fournisseurs/{provider}/{token}/appel")
    config.scan(".callbacks")
