"""A resident's next channel when one fails for good: SMS, then a call to the
landline, then e-mail.

Only for kinds declared ``always_reach`` (an alert must reach everyone it can): when
a row of such a kind ends ``failed`` (refused by the provider, a failure receipt, a
call nobody answered, attempts exhausted), the recipient gets a new row on the next
channel of ``ORDER`` after the failed one that has a provider and an address, and
that they were not already sent this subject on. The new row is keyed
``{failed row's key}>{channel}``: a fallback written twice is written once. It keeps
the failed row's text, expiry and severity (a call at night still waits unless urgent).
"""

import logging

import sqlalchemy as sa

from ..models import User
from ..models.notification import Notification
from ..providers import channels_with_provider
from .kinds import address_on, kinds_of

log = logging.getLogger(__name__)

ORDER = ("sms", "voice", "email")
NEXT = {"sms": ("voice", "email"), "voice": ("email",), "push": ("email",)}


def next_channel(user, failed_channel: str, taken: set[str], usable, kind) -> str | None:
    for channel in NEXT.get(failed_channel, ()):
        if channel in taken or channel not in usable or not address_on(user, channel):
            continue
        if channel == "voice" and not kind.voice:
            continue
        return channel
    return None


def fallback_rows(request, ids) -> list[dict]:
    """The rows to write for the failed rows among ``ids``."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    db = request.dbsession
    kinds = kinds_of(request.registry)
    failed = [n for n in db.scalars(sa.select(Notification).where(
        Notification.id.in_(ids), Notification.status == "failed", Notification.recipient_id.is_not(None)))
        if kinds.get(n.kind).always_reach and n.channel in NEXT]
    if not failed:
        return []
    users = {u.id: u for u in db.scalars(sa.select(User).where(
        User.id.in_({n.recipient_id for n in failed}), User.status != "closed"))}
    taken: dict[tuple, set[str]] = {}
    for subject_type, subject_id, recipient_id, channel in db.execute(
            sa.select(Notification.subject_type, Notification.subject_id, Notification.recipient_id,
                      Notification.channel)
            .where(Notification.recipient_id.in_(list(users)),
                   sa.tuple_(Notification.subject_type, Notification.subject_id).in_(
                       {(n.subject_type, n.subject_id) for n in failed}))):
        taken.setdefault((subject_type, subject_id, recipient_id), set()).add(channel)
    usable = channels_with_provider(request)
    rows = []
    for n in failed:
        user = users.get(n.recipient_id)
        if user is None:
            continue
        used = taken.setdefault((n.subject_type, n.subject_id, n.recipient_id), set())
        channel = next_channel(user, n.channel, used, usable, kinds.get(n.kind))
        if channel is None:
            continue
        used.add(channel)
        rows.append(dict(dedupe_key=f"{n.dedupe_key}>{channel}", kind=n.kind, subject_type=n.subject_type,
                         subject_id=n.subject_id, recipient_id=n.recipient_id, channel=channel,
                         address=address_on(user, channel), title=n.title, body=n.body,
                         html=n.html if channel == "email" else None, expires_at=n.expires_at,
                         severity=n.severity))
    return rows


def fall_back(request, ids) -> list[int]:
    """Write and queue (after commit) the fallbacks of the failed rows among ``ids``."""
    from .outbox import enqueue_delivery_after_commit, insert_notifications

    rows = fallback_rows(request, ids)
    new = insert_notifications(request.dbsession, rows) if rows else []
    if new:
        log.info("outbox: %d notifications fall back to another channel", len(new))
        enqueue_delivery_after_commit(request, new)
    return new


def fall_back_safely(request, ids) -> list[int]:
    """``fall_back`` in its own transaction (an actor's outcomes are committed first):
    a failure is logged, never allowed to undo what was recorded."""
    if not ids:
        return []
    try:
        new = fall_back(request, ids)
        request.tm.commit()
        request.tm.begin()
        return new
    except Exception:
        log.exception("outbox: fallback of %d failed notifications not written", len(ids))
        request.tm.abort()
        request.tm.begin()
        return []
