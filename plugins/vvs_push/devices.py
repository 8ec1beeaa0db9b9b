"""Web Push subscriptions of residents' devices: add (from the browser's
``PushManager.subscribe``), list, remove, and the targets of one notification.

The endpoint is a URL the server will POST to, so it is checked: HTTPS only, unless
``vvs.push.allow_http_endpoints`` is on (tests, with a fake push service on 127.0.0.1).
"""
from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.models import User

from .models import PushSubscription

MAX_DEVICES = 10
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class SubscriptionRefused(Exception):
    """The subscription cannot be recorded; the message is French."""


def endpoint_digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def _key_bytes(value: str, name: str, sizes: tuple[int, ...]) -> None:
    if not isinstance(value, str) or not _B64URL.match(value or ""):
        raise SubscriptionRefused(f"Clé « {name} » de l'abonnement invalide.")
    stripped = value.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except ValueError:
        raise SubscriptionRefused(f"Clé « {name} » de l'abonnement invalide.") from None
    if len(raw) not in sizes:
        raise SubscriptionRefused(f"Clé « {name} » de l'abonnement invalide.")


def check_endpoint(endpoint: str, allow_http: bool) -> None:
    parts = urlsplit(endpoint or "")
    if not parts.hostname or len(endpoint) > 1000 or any(c.isspace() for c in endpoint):
        raise SubscriptionRefused("Adresse du service de notification invalide.")
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise SubscriptionRefused("Le service de notification doit être joint en HTTPS.")


def subscribe(dbsession, settings, user: User, endpoint: str, p256dh: str, auth: str,
              label: str = "") -> tuple[PushSubscription, bool]:
    """Record (or refresh) a device of ``user``: (row, created). A browser that was
    another account's device before now belongs to ``user`` (same browser, new login)."""
    check_endpoint(endpoint, bool(settings.get("vvs.push.allow_http_endpoints")))
    _key_bytes(p256dh, "p256dh", (65,))
    _key_bytes(auth, "auth", (16,))
    label = " ".join((label or "").split())[:120] or "Appareil sans nom"
    row = dbsession.scalar(sa.select(PushSubscription).where(
        PushSubscription.endpoint_hash == endpoint_digest(endpoint)))
    if row is not None:
        row.user_id, row.p256dh, row.auth, row.label = user.id, p256dh, auth, label
        return row, False
    count = dbsession.scalar(sa.select(sa.func.count()).select_from(PushSubscription)
                             .where(PushSubscription.user_id == user.id))
    if count >= MAX_DEVICES:
        raise SubscriptionRefused(f"Vous avez déjà {MAX_DEVICES} appareils abonnés : retirez-en un d'abord.")
    row = PushSubscription(user_id=user.id, endpoint=endpoint, endpoint_hash=endpoint_digest(endpoint),
                           p256dh=p256dh, auth=auth, label=label, created_at=utcnow())
    dbsession.add(row)
    dbsession.flush()
    return row, True


def user_devices(dbsession, user_id: int) -> list[PushSubscription]:
    return list(dbsession.scalars(sa.select(PushSubscription).where(PushSubscription.user_id == user_id)
                                  .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())))


def unsubscribe(dbsession, user: User, subscription_id: int) -> bool:
    row = dbsession.get(PushSubscription, subscription_id)
    if row is None or row.user_id != user.id:
        return False
    dbsession.delete(row)
    return True


def erase_devices(dbsession, user_id: int) -> None:
    dbsession.execute(sa.delete(PushSubscription).where(PushSubscription.user_id == user_id))


def push_targets(dbsession, user_id) -> list[dict]:
    """The devices one push notification goes to (plain values: sent outside any transaction)."""
    if user_id is None:
        return []
    return [{"id": s.id, "endpoint": s.endpoint, "p256dh": s.p256dh, "auth": s.auth}
            for s in user_devices(dbsession, int(user_id))]


def forget_devices(subscription_ids) -> None:
    """Remove subscriptions the push service says are gone (404/410), in a transaction of their own."""
    from vvs_core.jobs.tasks import task_request

    ids = [int(i) for i in subscription_ids]
    if not ids:
        return
    with task_request() as request:
        request.dbsession.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(ids)))


def mark_delivered(subscription_ids) -> None:
    from vvs_core.jobs.tasks import task_request

    ids = [int(i) for i in subscription_ids]
    if not ids:
        return
    with task_request() as request:
        request.dbsession.execute(sa.update(PushSubscription).where(PushSubscription.id.in_(ids))
                                  .values(last_success_at=utcnow()))


def users_with_devices(dbsession, user_ids) -> set[int]:
    ids = sorted({int(i) for i in user_ids if i is not None})
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        found.update(dbsession.scalars(sa.select(PushSubscription.user_id).distinct()
                                       .where(PushSubscription.user_id.in_(ids[start:start + 1000]))))
    return found


class PushDevices:
    """``IPushDevices`` for the outbox: who has a device, and where a notification goes;
    and for pages that subscribe a browser, the script of the devices page."""

    subscribe_script = "vvs_push:static/push-devices.js"

    def users_with_devices(self, dbsession, user_ids) -> set[int]:
        return users_with_devices(dbsession, user_ids)

    def targets(self, dbsession, user_id) -> list[dict]:
        return push_targets(dbsession, user_id)
