"""The ``webpush`` provider: Web Push (RFC 8030) with VAPID (RFC 8292) and an encrypted
payload (RFC 8291), through ``pywebpush``: what the installable web app's service
worker receives. A device the push service says is gone (404/410) is forgotten."""
from __future__ import annotations

import json
import logging
import uuid
from urllib.parse import urlsplit

from vvs_core.interfaces import SendResult
from vvs_core.providers.push import OutgoingPush
from vvs_core.settings import Setting

log = logging.getLogger(__name__)

TTL_SECONDS = 12 * 3600  # a phone off all night still gets the morning's alert

WEBPUSH_SETTINGS = [
    Setting("vvs.push.vapid_private_key", "", "VAPID private key of the server (base64url or PEM); "
            "generate a pair with `vapid --gen`.", secret=True, required=True),
    Setting("vvs.push.vapid_public_key", "", "VAPID public key (base64url, uncompressed point), given to browsers "
            "when they subscribe.", required=True),
    Setting("vvs.push.subject", "", "Contact of the server for the push services: `mailto:…` or `https://…`.",
            required=True),
]


def build_payload(message: OutgoingPush) -> str:
    return json.dumps({"title": message.title, "body": message.text, "url": message.url, "tag": message.key[:64]},
                      ensure_ascii=False)


def load_vapid_key(key: str):
    """A py_vapid key from base64url (raw or DER) or PEM text; raises when it is not a key."""
    from py_vapid import Vapid

    key = (key or "").strip()
    if key.startswith("-----BEGIN"):
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


class WebPushSender:
    name = "webpush"

    def __init__(self, private_key: str, subject: str, timeout: float = 10.0,
                 on_gone=None, on_delivered=None, public_key: str = ""):
        self.vapid = load_vapid_key(private_key)
        self.application_server_key = public_key  # IPushSender: what browsers subscribe with
        self.subject = subject
        self.timeout = timeout
        self.on_gone = on_gone
        self.on_delivered = on_delivered

    @classmethod
    def from_settings(cls, settings) -> "WebPushSender":
        from .devices import forget_devices, mark_delivered

        key = settings["vvs.push.vapid_private_key"]
        subject = settings["vvs.push.subject"]
        if not subject.startswith(("mailto:", "https://")):
            raise ValueError("vvs.push.subject must start with mailto: or https://")
        return cls(key, subject, on_gone=forget_devices, on_delivered=mark_delivered,
                   public_key=settings["vvs.push.vapid_public_key"])

    def health(self) -> str | None:
        """Whether browsers subscribe with the public key of this private key: None when
        they match, else a French sentence. No push service is called (each device has its
        own; a device that is gone is forgotten when a notification finds it so)."""
        import base64

        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        given = (self.application_server_key or "").strip().rstrip("=")
        if not given:
            return "La clé publique VAPID (vvs.push.vapid_public_key) manque : aucun navigateur ne peut s'abonner."
        point = self.vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        if base64.urlsafe_b64encode(point).decode().rstrip("=") != given:
            return ("La clé publique VAPID (vvs.push.vapid_public_key) n'est pas celle de la clé privée : "
                    "les services de notification refuseront chaque envoi.")
        return None

    def send_batch(self, messages: list[OutgoingPush]) -> list[SendResult]:
        gone, delivered, results = [], [], []
        for message in messages:
            results.append(self._send_one(message, gone, delivered))
        for callback, ids in ((self.on_gone, gone), (self.on_delivered, delivered)):
            if callback is not None and ids:
                try:
                    callback(ids)
                except Exception:  # bookkeeping only: the notification itself is settled
                    log.exception("webpush: could not update %d subscriptions", len(ids))
        return results

    def _send_one(self, message: OutgoingPush, gone: list, delivered: list) -> SendResult:
        from pywebpush import WebPushException, webpush

        if not message.devices:
            return SendResult(message.key, ok=False, error="aucun appareil abonné")
        payload = build_payload(message)
        accepted, transient, errors = 0, False, []
        for device in message.devices:
            info = {"endpoint": device["endpoint"], "keys": {"p256dh": device["p256dh"], "auth": device["auth"]}}
            parts = urlsplit(device["endpoint"])
            claims = {"sub": self.subject, "aud": f"{parts.scheme}://{parts.netloc}"}
            try:
                response = webpush(info, data=payload, vapid_private_key=self.vapid, vapid_claims=claims,
                                   ttl=TTL_SECONDS, timeout=self.timeout, headers={"Urgency": "high"})
            except WebPushException as exc:
                status = getattr(exc.response, "status_code", None)
                if status in (404, 410):
                    if device.get("id") is not None:  # a resident's device (not a follower's)
                        gone.append(device["id"])
                    errors.append("appareil désabonné")
                elif status is None or status == 429 or status >= 500:
                    transient = True
                    errors.append(f"service de notification indisponible ({status or 'réseau'})")
                else:
                    errors.append(f"refusé par le service de notification ({status})")
                continue
            except Exception as exc:  # network errors raised by requests
                transient = True
                errors.append(f"service de notification injoignable ({type(exc).__name__})")
                continue
            accepted += 1
            if device.get("id") is not None:
                delivered.append(device["id"])
            del response
        if accepted:
            return SendResult(message.key, ok=True, provider_ref=f"webpush-{uuid.uuid4().hex[:16]}")
        return SendResult(message.key, ok=False, transient=transient, error="; ".join(errors)[:300])
