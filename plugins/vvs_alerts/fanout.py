"""From one alert (or one update) to its notification rows, in bulk.

One row per (alert, recipient, channel), dedupe key
``alert:{alert id}:{update id or 0}:{user id}:{channel}``: a fan-out that runs twice
(dramatiq delivers at least once) inserts nothing the second time. Rows carry the
alert's expiry, so nothing is sent once the alert has expired.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from vvs_core.clock import aware, utcnow
from vvs_core.models import Community, Membership, Notification, User
from vvs_core.notify.outbox import enqueue_delivery_after_commit, insert_notifications, refer_to_contents
from vvs_core.notify.preferences import due_for_everyone, severity_of
from vvs_core.web.timefmt import shown_in

from .audience import alert_audience, default_channel_sets, previous_reach, split_members
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
    in_sql: list[int] = []  # members written by INSERT … SELECT (see members_in_sql)
    if update is None:
        in_sql, others = members_in_sql(request, alert)
        targets = alert_audience(request, alert, others, set(in_sql))
        subject_type, subject_id, kind = "alert", alert.id, "alert"
    else:
        targets = previous_reach(request, alert)
        if alert.author_id and update.author_id != alert.author_id:
            targets += _author_targets(request, alert, targets)
        subject_type, subject_id, kind = "alert_update", update.id, "alert"
    with shown_in(community.commune.time_zone):  # the hours of the community's commune
        by_shown = {shown: contents_of(request, community.name, alert, update, author, shown)
                    for shown in {"name", *(t.shown for t in targets)}}
    contents = by_shown["name"]
    rows = [
        dict(dedupe_key=dedupe_key(alert.id, update.id if update else None, t.user_id, t.channel),
             kind=kind, subject_type=subject_type, subject_id=subject_id, recipient_id=t.user_id,
             channel=t.channel, address=t.address, expires_at=alert.expires_at, severity=alert.severity,
             **by_shown[t.shown][t.channel])
        for t in targets
    ]
    ids = []
    for start in range(0, len(rows), INSERT_CHUNK):
        written = insert_notifications(db, rows[start:start + INSERT_CHUNK])
        enqueue_delivery_after_commit(request, written)
        ids += written
        if commit_chunks and (in_sql or start + INSERT_CHUNK < len(rows)):
            request.tm.commit()
            request.tm.begin()
    members_chunk = INSERT_CHUNK // 2  # two channels each, mostly
    for start in range(0, len(in_sql), members_chunk):
        written = insert_in_sql(request, alert, in_sql[start:start + members_chunk], contents)
        enqueue_delivery_after_commit(request, written)
        ids += written
        if commit_chunks and start + members_chunk < len(in_sql):
            request.tm.commit()
            request.tm.begin()
    log.info("alert %s%s: %d notifications written", alert.id, f" update {update.id}" if update else "", len(ids))
    return ids


def contents_of(request, community_name, alert, update, author, shown) -> dict:
    """{channel: title, body (and html)} of the message, its author named as ``shown``."""
    sms = sms_text(request, community_name, alert, update, author, shown)
    subject, text, html = email_content(request, community_name, alert, update, author, shown)
    return {"sms": dict(title=subject, body=sms), "email": dict(title=subject, body=text, html=html),
            "push": dict(title=subject, body=push_text(request, community_name, alert, update, author, shown)),
            # a call reads the whole text: the SMS length does not apply to it
            "voice": dict(title=subject, body=voice_text(community_name, alert, update, author, shown))}


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


# --- Members who chose nothing: their rows written by the database ------------------
# In a commune-wide community nearly every member has no preferences: their channels
# depend only on which addresses they have, and neither quiet hours nor severity
# minimums apply to them; what applies to every row (no call at night below urgent) is
# the core's rule, ``preferences.due_for_everyone``. Their rows are one ``INSERT … SELECT`` per channel and chunk of
# members (no Python object per row); the dedupe keys are the same as the Python path's,
# so a fan-out run again (killed job) writes only what is missing, whichever path wrote.

def members_in_sql(request, alert) -> tuple[list[int], list]:
    """(ids, ascending, of the members whose rows the database writes, the rows of the
    other members): those who chose nothing at all, unless push is among their default
    channels (push rows need a device, looked up per recipient by ``insert_notifications``)."""
    sets = default_channel_sets(request)
    return split_members(request.dbsession, alert.community_id, alert.author_id,
                         in_sql=lambda addresses: "push" not in sets[addresses])


def insert_in_sql(request, alert, member_ids: list[int], contents: dict) -> list[int]:
    """Write the rows of ``member_ids`` (some of ``members_in_sql``), on their default channels; their ids.
    Written and due now, as ``insert_notifications`` does: rows dated from the fan-out's start
    would look due for longer than the claim timeout once a job lasts a minute, and every
    claim would take them before its own message's rows (``actors.claim_notifications``),
    leaving the last messages' rows to the sweeper."""
    now = utcnow()
    db = request.dbsession
    table = Notification.__table__
    severity = severity_of({"severity": alert.severity})
    texts = {channel: {"html": None, **contents[channel]} for channel in ("sms", "email", "voice")}
    refer_to_contents(db, list(texts.values()), now)
    address = {"sms": User.mobile, "email": User.email, "voice": User.landline}
    has = [sa.func.coalesce(column, "") != "" for column in (User.email, User.mobile, User.landline)]
    postgres = db.get_bind().dialect.name == "postgresql"
    ids: list[int] = []
    for channel in ("sms", "email", "voice"):
        combos = [combo for combo, channels in default_channel_sets(request).items() if channel in channels]
        if not combos:
            continue
        due = due_for_everyone(db, channel, severity, now) or now  # the core's rule, not a copy of it
        values = dict(
            dedupe_key=sa.literal(f"alert:{alert.id}:0:") + sa.cast(User.id, sa.String) + sa.literal(f":{channel}"),
            kind="alert", subject_type="alert", subject_id=alert.id, recipient_id=User.id, channel=channel,
            address=address[channel], content_id=texts[channel]["content_id"], status="pending", attempts=0,
            provider="", last_error="", created_at=now, next_attempt_at=due, expires_at=alert.expires_at,
            severity=severity, reaction="")
        columns = [v if hasattr(v, "__clause_element__") or isinstance(v, sa.ColumnElement)
                   else sa.literal(v, type_=table.c[name].type) for name, v in values.items()]
        chosen = sa.or_(*[sa.and_(*[h if flag else ~h for h, flag in zip(has, combo)]) for combo in combos])
        select = (sa.select(*columns).join(Membership, Membership.user_id == User.id)
                  .where(Membership.community_id == alert.community_id, Membership.status == "active",
                         User.status != "closed", chosen,
                         # PostgreSQL: one array parameter, not thousands of bound values
                         User.id == sa.any_(sa.bindparam("ids", member_ids, type_=postgresql.ARRAY(sa.Integer)))
                         if postgres else User.id.in_(member_ids)))
        if alert.author_id:
            select = select.where(User.id != alert.author_id)
        insert = (postgresql.insert if postgres else sqlite.insert)(table)
        stmt = insert.from_select(list(values), select).on_conflict_do_nothing(index_elements=["dedupe_key"])
        ids += db.scalars(stmt.returning(table.c.id)).all()
    return ids

