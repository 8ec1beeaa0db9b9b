"""From one alert (or one update) to its notification rows, in bulk.

One row per (alert, recipient, channel), dedupe key
``alert:{alert id}:{update id or 0}:{user id}:{channel}``: a fan-out that runs twice
(dramatiq delivers at least once) inserts nothing the second time. Rows carry the
alert's expiry, so nothing is sent once the alert has expired.
"""
from __future__ import annotations

import logging

from vvs_core.clock import aware, utcnow
from vvs_core.models import Community, User
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications

from .audience import alert_audience, previous_reach
from .texts import email_content, push_text, sms_text, voice_text

log = logging.getLogger(__name__)
INSERT_CHUNK = 5000  # rows per INSERT statement


def dedupe_key(alert_id: int, update_id: int | None, user_id: int, channel: str) -> str:
    return f"alert:{alert_id}:{update_id or 0}:{user_id}:{channel}"


def fan_out(request, alert, update=None, commit_chunks=False) -> list[int]:
    """Write the notification rows of ``alert`` (or of ``update``) and hand them to
    the outbox once committed. Returns the new rows' ids.

    ``commit_chunks`` (the fan-out job): commit every ``INSERT_CHUNK`` rows, so that the
    workers deliver the first ones while the rest are written (a commune-wide community
    is 200,000 rows). A job killed half-way runs again and writes only the rows missing
    (dedupe keys); the rows it had committed are delivered once, by their own messages
    or, if those were lost with the worker, by the sweeper."""
    now = utcnow()
    if alert.status != "published" or aware(alert.expires_at) <= now:
        return []
    db = request.dbsession
    community = db.get(Community, alert.community_id)
    writer = db.get(User, update.author_id) if update is not None and update.author_id else None
    author = writer or (db.get(User, alert.author_id) if alert.author_id else None)
    if update is None:
        targets = alert_audience(request, alert)
        subject_type, subject_id, kind = "alert", alert.id, "alert"
    else:
        targets = previous_reach(request, alert)
        if alert.author_id and update.author_id != alert.author_id:
            targets += _author_targets(request, alert, targets)
        subject_type, subject_id, kind = "alert_update", update.id, "alert"
    sms = sms_text(request, community.name, alert, update, author)
    subject, text, html = email_content(request, community.name, alert, update, author)
    contents = {"sms": dict(title=subject, body=sms), "email": dict(title=subject, body=text, html=html),
                "push": dict(title=subject, body=push_text(request, community.name, alert, update, author)),
                # a call reads the whole text: the SMS length does not apply to it
                "voice": dict(title=subject, body=voice_text(community.name, alert, update, author))}
    rows = [
        dict(dedupe_key=dedupe_key(alert.id, update.id if update else None, t.user_id, t.channel),
             kind=kind, subject_type=subject_type, subject_id=subject_id, recipient_id=t.user_id,
             channel=t.channel, address=t.address, expires_at=alert.expires_at, severity=alert.severity,
             **contents[t.channel])
        for t in targets
    ]
    ids = []
    for start in range(0, len(rows), INSERT_CHUNK):
        written = insert_notifications(db, rows[start:start + INSERT_CHUNK])
        enqueue_delivery_after_commit(request, written)
        ids += written
        if commit_chunks and start + INSERT_CHUNK < len(rows):
            request.tm.commit()
            request.tm.begin()
    log.info("alert %s%s: %d notifications written", alert.id, f" update {update.id}" if update else "", len(ids))
    return ids


def _author_targets(request, alert, already):
    """The alert's author hears of an update someone else wrote, on their own channels."""
    from .audience import Target, address_for, channels_for, users_by_id
    from vvs_core.models.notification import CHANNELS

    if any(t.user_id == alert.author_id for t in already):
        return []
    row = users_by_id(request.dbsession, [alert.author_id]).get(alert.author_id)
    if row is None:
        return []
    return [Target(row.id, c, address_for(row, c)) for c in channels_for(request, row, CHANNELS)]
