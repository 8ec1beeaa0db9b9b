"""Messages from the mairie to targeted residents (chosen communities), by e-mail
through the outbox; each e-mail ends with a stop link, also given as
``List-Unsubscribe`` headers (RFC 8058 one-click). A resident who stopped has
``notification_prefs["mairie_message"] == []`` and is left out of the next ones; the
link's page can undo it. The mairie's alerts are not concerned (they always reach)."""
from __future__ import annotations

import uuid

from vvs_core.models import User
from vvs_core.notify.kinds import kinds_of, wanted_channels
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications
from vvs_core.web.french import de
from vvs_core.web.links import absolute_url, signed, unsigned

from . import audience

KIND = "mairie_message"
_PURPOSE = "mairie-messages-stop"


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


def stop_token(source, user_id: int) -> str:
    """The resident's stop link token: no storage, valid while the account exists."""
    return signed(source, _PURPOSE, int(user_id))


def user_of_token(request, token: str) -> User | None:
    """Links sent before December 2026 were this plugin's own HMAC: still accepted."""
    user_id = unsigned(request, _PURPOSE, token, legacy=lambda user_id: f"vvs-mairie-messages-stop:{user_id}")
    user = request.dbsession.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.status != "closed" else None


def set_stopped(user, stopped: bool) -> None:
    prefs = {k: v for k, v in (user.notification_prefs or {}).items() if k != KIND}
    user.notification_prefs = {**prefs, KIND: []} if stopped else prefs


def render_email(request, notification) -> dict | None:
    """The message's e-mail with its stop link (``vvs_render_notification``)."""
    if notification.kind != KIND or notification.recipient_id is None:
        return None
    link = absolute_url(request, "mairie_messages_stop",
                        token=stop_token(request, notification.recipient_id))
    text = (f"{notification.body or ''}\n\n—\nPour ne plus recevoir les messages de la mairie par e-mail "
            f"(ses alertes vous parviendront toujours) : {link}")
    return {"subject": notification.title, "text": text, "html": None,
            "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}
