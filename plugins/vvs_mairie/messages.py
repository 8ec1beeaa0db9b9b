"""Messages from the mairie to targeted residents (chosen communities), by e-mail
through the outbox."""
from __future__ import annotations

import uuid

from vvs_core.web.french import de
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications

from . import audience


def send_message(request, commune, author, community_ids, title, text) -> int:
    users = audience.audience_users(request.dbsession, commune.id, "communities", community_ids)
    batch = uuid.uuid4().hex
    rows = [dict(dedupe_key=f"mairie-message:{batch}:{u.id}:email", kind="mairie_message", subject_type="mairie_message",
                 recipient_id=u.id, channel="email", address=u.email,
                 title=f"Mairie {de(commune.name)} : {title}", body=f"{text}\n\n— Mairie {de(commune.name)}")
            for u in users if u.email]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    return len(ids)
