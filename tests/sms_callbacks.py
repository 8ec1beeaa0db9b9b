"""An SMS provider whose receipts and inbound SMS come as JSON bodies to the core's
provider callbacks (/fournisseurs/{name}/{token}/…), for the tests of the callbacks and
of the plugins that answer inbound SMS, and a plugin that answers them (a module of
tests/, on the path of every test)."""
from __future__ import annotations

import contextlib

from app_changes import changed
from vvs_core.interfaces import CallbackRefused, DeliveryReceipt, InboundSMS, SendResult
from vvs_core.plugins import hookimpl

STATES = {"DELIVERED": "delivered", "FAILED": "failed", "QUEUED": "pending"}


class JSONCallbackSMS:
    """Takes every message (``sent``); reads ``{"ref", "status", "reason"}`` receipts and
    ``{"from", "text", "id"}`` inbound SMS."""

    def __init__(self, name: str):
        self.name = name
        self.sent = []

    def send_batch(self, messages):
        self.sent.extend(messages)
        return [SendResult(m.key, ok=True, provider_ref=f"ref-{len(self.sent)}-{i}") for i, m in enumerate(messages)]

    def parse_receipt(self, request):
        body = request.json_body  # garbage raises: the core answers 400
        if body.get("status") not in STATES:
            raise CallbackRefused("état de remise inconnu")
        return DeliveryReceipt(str(body["ref"]), STATES[body["status"]], body.get("reason", ""))

    def parse_inbound(self, request):
        body = request.json_body
        return InboundSMS(sender=body["from"], text=body["text"], provider=self.name, provider_id=str(body["id"]))


@contextlib.contextmanager
def json_callback_sms(registry, name: str, token: str):
    """The registry's SMS provider is a ``JSONCallbackSMS`` called ``name`` whose callbacks
    take ``token`` (600 calls a minute) for the block; then the one before it again."""
    provider = JSONCallbackSMS(name)
    with changed(registry, providers={"sms": provider}, settings={f"vvs.sms.{name}.callback_token": token,
                                                                  f"vvs.sms.{name}.callback_rate": "600/60"}):
        yield provider


class ReplyingToSMS:
    """Stands for a plugin that answers inbound SMS (as vvs_alerts does): records each
    message it is given (``received``) and answers ``answer``."""

    def __init__(self, answer: str):
        self.answer = answer
        self.received = []

    @hookimpl(tryfirst=True)
    def vvs_inbound_sms(self, request, message):
        self.received.append(message)
        return self.answer
