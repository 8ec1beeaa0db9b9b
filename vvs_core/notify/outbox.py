"""The outbox as other code uses it: write notification rows, hand them to the
delivery actor once committed, read back how far they reached, record receipts.

Rows are written in the caller's transaction (an alert and its notifications commit
together or not at all); ``deliver`` messages leave only after that commit. The
delivery itself, its retries and crash recovery are in ``vvs_core.notify.actors``.
This module does not import the actors at import time: plugins import it before the
broker is configured.
"""

import hashlib
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import aware, utcnow
from vvs_core.web.french import number, plural_is_singular
from vvs_core.web.timefmt import dates
from ..models.notification import CHANNELS, Notification, NotificationContent
from vvs_core.jobs.tasks import enqueue_after_commit
from ..providers import channels_with_provider
from .kinds import address_on, channels_for, kinds_for_session, kinds_of
from .preferences import apply_recipient_preferences
from zope.sqlalchemy import mark_changed

REQUIRED_FIELDS = ("dedupe_key", "kind", "channel", "address")
OPTIONAL_FIELDS = {
    "subject_type": "", "subject_id": None, "recipient_id": None,
    "title": "", "body": "", "html": None, "expires_at": None,
    "next_attempt_at": None,  # set by the recipient's quiet hours (notify.preferences)
    "severity": "",  # an alert's: calls at night wait unless urgent (notify.preferences)
}
DEDUPE_KEY_MAX = 200  # Notification.dedupe_key is String(200)


# --- Writing rows -------------------------------------------------------------

def insert_notifications(dbsession, rows: list[dict], kinds=None) -> list[int]:
    """Insert notification rows, skipping those whose dedupe_key already exists.

    Returns the ids of the rows actually inserted, so that re-running a fan-out
    inserts (and delivers) nothing twice. One multi-row statement per call.
    ``kinds``: the declared notification kinds (default: those of the request that
    opened ``dbsession``), for quiet hours and "always at least one channel".
    """
    if not rows:
        return []
    now = utcnow()
    # Quiet hours, per-channel severity minimums, push only to subscribed devices.
    kinds = kinds_for_session(dbsession) if kinds is None else kinds
    rows = apply_recipient_preferences(dbsession, rows, now, kinds)
    if not rows:
        return []
    values = [_row_values(row, now) for row in rows]
    refer_to_contents(dbsession, values, now)
    if dbsession.get_bind().dialect.name == "postgresql":
        dbsession.flush()
        ids = _copy_then_insert(dbsession.connection(), values)
        # Written on the connection, not through the ORM: tell zope.sqlalchemy the
        # transaction has changes, or it would roll it back as read-only.
        mark_changed(dbsession)
        return ids
    # SQLite (the embedded default, small communes): the ORM's statement is enough.
    stmt = sqlite.insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return list(dbsession.scalars(stmt.returning(Notification.id), values))


CONTENT_FIELDS = ("title", "body", "html")


def content_digest(title: str, body: str, html: str | None) -> str:
    parts = (title or "", body or "", "\x00" if html is None else "\x01" + html)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def refer_to_contents(dbsession, values: list[dict], now) -> None:
    """Replace each row's title, body and html by ``content_id``: each distinct text written
    once to ``notification_contents`` (unless there), in the caller's transaction; on
    PostgreSQL locked ``FOR KEY SHARE`` so that the purge cannot delete it before commit."""
    texts: dict[tuple, str] = {}  # text → digest: 200,000 rows, two or three texts, each hashed once
    for row in values:
        text = tuple(row.pop(name) for name in CONTENT_FIELDS)
        row["content_id"] = texts.get(text) or texts.setdefault(text, content_digest(*text))
    table = NotificationContent.__table__
    postgres = dbsession.get_bind().dialect.name == "postgresql"
    insert = (postgresql if postgres else sqlite).insert(table).on_conflict_do_nothing(index_elements=["digest"])
    ids: dict[str, int] = {}
    for _attempt in range(3):  # a text the purge deleted after our insert is written again
        missing = {d: t for t, d in texts.items() if d not in ids}
        if not missing:
            break
        dbsession.execute(insert, [dict(digest=d, title=t[0] or "", body=t[1] or "", html=t[2], created_at=now)
                                   for d, t in missing.items()])
        found = sa.select(table.c.digest, table.c.id).where(table.c.digest.in_(list(missing)))
        ids.update(dbsession.execute(found.with_for_update(key_share=True) if postgres else found).all())
    for row in values:
        row["content_id"] = ids[row["content_id"]]
    mark_changed(dbsession)


_COLUMNS = tuple(c.name for c in Notification.__table__.columns if c.name != "id")


def _python_defaults() -> dict:
    """The model's column defaults (COPY does not apply them as the ORM would)."""
    out = {}
    for column in Notification.__table__.columns:
        default = column.default
        if default is None:
            out[column.name] = None
        elif default.is_callable:
            out[column.name] = default.arg(None)
        else:
            out[column.name] = default.arg
    return out


def _copy_then_insert(connection, values: list[dict]) -> list[int]:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT …
    ON CONFLICT DO NOTHING RETURNING id. A 10,000-member alert is two statements
    instead of thousands of bound parameters, inside the caller's transaction."""
    names = list(_COLUMNS)
    defaults = _python_defaults()
    columns = ", ".join(names)
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS notifications_incoming AS "
                   f"SELECT {', '.join(_COLUMNS)} FROM notifications WITH NO DATA")
    with cursor.copy(f"COPY notifications_incoming ({columns}) FROM STDIN") as copy:
        for row in values:
            copy.write_row([row[name] if name in row else defaults[name] for name in names])
    cursor.execute(f"INSERT INTO notifications ({columns}) SELECT {columns} FROM notifications_incoming "
                   "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
    ids = [row[0] for row in cursor.fetchall()]
    cursor.execute("TRUNCATE notifications_incoming")
    return ids


def _row_values(row: dict, now) -> dict:
    missing = [name for name in REQUIRED_FIELDS if not row.get(name)]
    if missing:
        raise ValueError(f"notification row without {', '.join(missing)}: {row.get('dedupe_key')!r}")
    unknown = set(row) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown notification fields: {', '.join(sorted(unknown))}")
    if row["channel"] not in CHANNELS:
        raise ValueError(f"unknown channel {row['channel']!r}; channels are {', '.join(CHANNELS)}")
    # Every dict gets the same keys: one executemany needs one column list.
    values = {**OPTIONAL_FIELDS, **row}
    values["dedupe_key"] = bounded_key(values["dedupe_key"])
    values.update(status="pending", attempts=0, created_at=now, next_attempt_at=values["next_attempt_at"] or now)
    return values


def bounded_key(key: str, limit: int = DEDUPE_KEY_MAX) -> str:
    """Keys longer than ``limit`` keep their start and gain a hash of the whole."""
    if len(key) <= limit:
        return key
    return key[: limit - 41] + "#" + hashlib.sha1(key.encode()).hexdigest()


def provider_key(row) -> str:
    """The idempotency key a provider receives for a notification row (docs/providers.md):
    its dedupe key, unique in this database only ("alert:1:0:sms" again in another
    installation or after a restore), plus the row's random nonce, so that a provider
    account shared or an old backup never mistakes a new row for an old message.
    At most ``DEDUPE_KEY_MAX`` characters; rows older than the nonce keep their key."""
    if not row.nonce:
        return row.dedupe_key
    return f"{bounded_key(row.dedupe_key, DEDUPE_KEY_MAX - len(row.nonce) - 1)}~{row.nonce}"


# --- One-off notifications to one user -----------------------------------------

def notify_user(request, user, kind, title, body, html=None, channels=None,
                subject=("", None), dedupe_key=None) -> list[int]:
    """Queue a ``kind`` notification to ``user`` on the channels their preferences allow.

    ``user.notification_prefs[kind]`` lists the channels they chose; while they chose
    nothing, ``channels`` (default: the kind's declared ``default_channels``). A kind
    declared ``always_reach`` reaches the user on at least one channel whatever they
    chose (``vvs_core.notify.kinds``). A channel without an address (no mobile for
    SMS) or without a configured provider is skipped. Give ``dedupe_key`` to make a
    retried caller harmless. Returns the new rows' ids.
    """
    if getattr(user, "status", "active") == "closed":
        return []
    spec = kinds_of(request.registry).get(kind)
    defaults = tuple(channels) if channels is not None else spec.default_channels
    chosen = channels_for(user, spec, channels_with_provider(request), defaults)
    base_key = dedupe_key or f"{kind}:{subject[0]}:{subject[1]}:{user.id}:{uuid.uuid4().hex}"
    rows = [
        dict(dedupe_key=f"{base_key}:{channel}", kind=kind, subject_type=subject[0] or "",
             subject_id=subject[1], recipient_id=user.id, channel=channel,
             address=address_on(user, channel), title=title, body=body, html=html)
        for channel in chosen]
    ids = insert_notifications(request.dbsession, rows)
    enqueue_delivery_after_commit(request, ids)
    return ids


# --- Handing rows to the delivery actor ----------------------------------------

def enqueue_delivery_after_commit(request, notification_ids, *, actor=None) -> None:
    """Send ``deliver`` messages for these rows once the request has committed,
    ``vvs.outbox.batch_size`` ids per message. If the enqueue is lost (broker
    down, crash after commit), the sweeper finds the rows still pending."""
    from .actors import deliver  # the broker is configured by the time anyone calls this

    actor = actor or deliver
    ids = sorted(int(i) for i in notification_ids)
    size = max(1, int(request.registry.settings["vvs.outbox.batch_size"]))
    for start in range(0, len(ids), size):
        enqueue_after_commit(request, actor, ids[start:start + size])


# --- Reading back the reach of a subject ---------------------------------------

def reach_summary(dbsession, subject_type, subject_id) -> dict:
    """``{channel: {status: count}}`` for the notifications of one subject."""
    return reach_summaries(dbsession, subject_type, [subject_id]).get(subject_id, {})


def reach_summaries(dbsession, subject_type, subject_ids) -> dict[int, dict]:
    """``reach_summary`` of several subjects in one statement: ``{subject id: summary}``.

    A channel's counts are by status; calls also count their reactions ("listened",
    "confirmed": reactions of delivered calls, already counted among "delivered"), and
    the calls held for later (the night) as "planned", the first at "planned_at"."""
    ids, out, now = sorted(set(subject_ids)), {}, utcnow()
    if not ids:
        return out
    later = sa.case((Notification.next_attempt_at > now, Notification.next_attempt_at))
    rows = dbsession.execute(
        sa.select(Notification.subject_id, Notification.channel, Notification.status, Notification.reaction,
                  sa.func.count(), sa.func.count(later), sa.func.min(later))
        .where(Notification.subject_type == subject_type, Notification.subject_id.in_(ids))
        .group_by(Notification.subject_id, Notification.channel, Notification.status, Notification.reaction))
    for subject_id, channel, status, reaction, count, held, first in rows:
        counts = out.setdefault(subject_id, {}).setdefault(channel, {})
        if channel == "voice" and status == "pending" and held:
            count, counts["planned"], counts["planned_at"] = count - held, held, aware(first)
        counts[status] = counts.get(status, 0) + count
        if channel == "voice" and reaction in ("listened", "confirmed"):
            counts[reaction] = counts.get(reaction, 0) + count
    return out


_CHANNEL_LABELS = {"sms": ("SMS", "m"), "email": ("e-mail", "m"), "push": ("notifications", "f"),
                   "voice": ("appels", "m")}
# What the statuses of a call say (placed, answered), beside the reactions.
_VOICE_WORDS = [
    (("sent",), ("appelé", "appelés")),
    (("delivered",), ("décroché", "décrochés")),
    (("listened", "confirmed"), ("écouté jusqu'au bout", "écoutés jusqu'au bout")),
    (("confirmed",), ("confirmé par la touche 1", "confirmés par la touche 1")),
    (("pending", "sending"), ("en attente", "en attente")),
    (("failed",), ("sans réponse", "sans réponse")),
    (("cancelled",), ("annulé", "annulés"))]
# statuses counted together → {gender: (singular, plural)}
_STATUS_WORDS = [
    (("delivered",), {"m": ("remis", "remis"), "f": ("remise", "remises")}),
    (("sent",), {"m": ("envoyé", "envoyés"), "f": ("envoyée", "envoyées")}),
    (("pending", "sending"), {"m": ("en attente", "en attente"), "f": ("en attente", "en attente")}),
    (("failed",), {"m": ("en échec", "en échec"), "f": ("en échec", "en échec")}),
    (("cancelled",), {"m": ("annulé", "annulés"), "f": ("annulée", "annulées")})]


def format_reach(summary: dict) -> str:
    """'SMS : 47 remis, 2 en échec · e-mail : 52 envoyés · appels : 3 décrochés, 2
    écoutés jusqu'au bout, 1 confirmé par la touche 1'."""
    parts = []
    for channel in (*CHANNELS, *sorted(set(summary) - set(CHANNELS))):
        counts = summary.get(channel) or {}
        label, gender = _CHANNEL_LABELS.get(channel, (channel, "m"))
        words = []
        if channel == "voice":
            for statuses, (singular, plural) in _VOICE_WORDS:
                n = sum(counts.get(status, 0) for status in statuses)
                if n:
                    words.append(f"{number(n)} {singular if plural_is_singular(n) else plural}")
            if n := counts.get("planned"):  # held for the night: when they go out, in the commune's time
                planned = "prévu" if plural_is_singular(n) else "prévus"
                words.append(f"{number(n)} {planned} à {dates.hour(counts['planned_at'])}")
            if words:
                parts.append(f"{label} : {', '.join(words)}")
            continue
        for statuses, forms in _STATUS_WORDS:
            n = sum(counts.get(status, 0) for status in statuses)
            if n:
                singular, plural = forms[gender]
                words.append(f"{number(n)} {singular if plural_is_singular(n) else plural}")
        if words:
            parts.append(f"{label} : {', '.join(words)}")
    return " · ".join(parts) or "aucune notification"


# --- Delivery receipts ----------------------------------------------------------

_RECEIPT_CAN_UPDATE = ("sending", "sent", "failed")


def record_receipt(dbsession, provider, provider_ref, delivered: bool, error="") -> bool:
    """Apply a provider's delivery receipt. Returns False for an unknown reference.

    Receipts come late, twice, or out of order: "delivered" is final (a later
    "failed" or a replay never downgrades it), and a failure receipt only turns a
    row that was not yet delivered into "failed".
    """
    match = (Notification.provider == provider) & (Notification.provider_ref == provider_ref)
    if delivered:
        values, allowed = dict(status="delivered", delivered_at=utcnow(), last_error=""), _RECEIPT_CAN_UPDATE
    else:
        values, allowed = dict(status="failed", last_error=(error or "non distribué")[:500]), ("sending", "sent")
    # The write comes first: on SQLite a read first would pin a snapshot that a
    # concurrent writer can invalidate.
    changed = dbsession.execute(
        sa.update(Notification).where(match, Notification.status.in_(allowed)).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        return True
    return bool(dbsession.scalar(sa.select(sa.func.count()).select_from(Notification).where(match)))
