"""Messages from the mairie to targeted residents (chosen communities), by e-mail
through the outbox; each e-mail ends with a stop link, also given as
``List-Unsubscribe`` headers (RFC 8058 one-click). A resident who stopped has
``notification_prefs["mairie_message"] == []`` and is left out of the next ones; the
link's page can undo it. The mairie's alerts are not concerned (they always reach)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

from vvs_core.models import User, row_id
from vvs_core.notify.kinds import kinds_of, wanted_channels
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.web.french import de
from vvs_core.web.links import absolute_url

from . import audience

KIND = "mairie_message"
_PURPOSE = b"vvs-mairie-messages-stop:"


def send_message(request, commune, author, community_ids, title, text) -> int:
    kind = kinds_of(request.registry).get(KIND)
    users = audience.audience_users(request.dbsession, commune.id, "communities", community_ids)
    batch = uuid.uuid4().hex
    rows = [dict(dedupe_key=f"mairie-message:{batch}:{u.id}:email", kind=KIND, subject_type=KIND,
                 recipient_id=u.id, channel="email", address=u.email,
                 title=f"Mairie {de(commune.name)} : {title}", body=f"{text}\n\n— Mairie {de(commune.name)}")
            for u in users if u.email and "email" in wanted_channels(u, kind)]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    return len(ids)


def _mac(secret: str, user_id: int) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + str(int(user_id)).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:22]


def stop_token(secret: str, user_id: int) -> str:
    """The resident's stop link token: no storage, valid while the account exists."""
    return f"{int(user_id)}-{_mac(secret, user_id)}"


def user_of_token(dbsession, secret: str, token: str) -> User | None:
    match = re.fullmatch(r"([0-9]{1,9})-([A-Za-z0-9_-]{22})", token or "")
    if match is None or not hmac.compare_digest(_mac(secret, row_id(match.group(1))), match.group(2)):
        return None
    user = dbsession.get(User, row_id(match.group(1)))
    return user if user is not None and user.status != "closed" else None


def set_stopped(user, stopped: bool) -> None:
    prefs = {k: v for k, v in (user.notification_prefs or {}).items() if k != KIND}
    user.notification_prefs = {**prefs, KIND: []} if stopped else prefs


def render_email(request, notification) -> dict | None:
    """The message's e-mail with its stop link (``vvs_render_notification``)."""
    if notification.kind != KIND or notification.recipient_id is None:
        return None
    link = absolute_url(request, "mairie_messages_stop",
                        token=stop_token(request.registry.settings["vvs.secret"], notification.recipient_id))
    text = (f"{notification.body or ''}\n\n—\nPour ne plus recevoir les messages de la mairie par e-mail "
            f"(ses alertes vous parviendront toujours) : {link}")
    return {"subject": notification.title, "text": text, "html": None,
            "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
