"""Delivery of the outbox: the ``deliver`` and ``sweep_outbox`` dramatiq actors.

Life of a notification row::

    pending ──claim──▶ sending ──provider accepted──▶ sent ──receipt──▶ delivered
       ▲                  │ transient failure (backoff)        (or failed by receipt)
       └──────────────────┤
                          ├── permanent failure, or vvs.outbox.max_attempts ──▶ failed
                          └── outcome unknown (crash, provider bug) ──▶ stays sending,
                              reclaimed after vvs.outbox.claim_timeout
    pending or reclaimed past expires_at ──▶ cancelled, never sent

``deliver(ids)`` works in three short steps, so that no row lock and no snapshot is
held while a provider is working:

1. **Claim**, in its own committed transaction: the rows of ``ids`` that are pending
   and due, or stuck in ``sending`` for longer than the claim timeout, become
   ``sending`` (claimed_at = now, attempts + 1). On PostgreSQL the rows are picked
   with ``FOR UPDATE SKIP LOCKED``, so two workers given the same ids share them
   without waiting; on SQLite the claiming UPDATE is the first statement of its
   transaction and holds the write lock while it reads. Expired pending rows are
   cancelled here.
2. **Send**: each row is rendered (``vvs_render_notification``; a failing plugin
   renderer falls back to the stored text, an alert must not be lost to a template
   bug), then handed to the channel's provider (``provider_on``) in one ``send_batch``
   per channel, outside any transaction.
3. **Record**, in a second transaction: sent (provider, provider_ref, sent_at);
   a transient failure goes back to pending with ``next_attempt_at`` = now +
   ``vvs.outbox.retry_backoff`` × 2^(attempt − 1), capped at 60 s, and a delayed
   ``deliver`` is sent; after ``vvs.outbox.max_attempts`` it is failed; a permanent
   failure is failed at once.

Retries are ours, not dramatiq's (``max_retries=0``): dramatiq backs off for days,
an alert must be retried within the minute. ``sweep_outbox`` runs every
``vvs.outbox.sweep_interval`` seconds and re-enqueues the rows nobody has touched
for ``vvs.outbox.claim_timeout`` (pending and due, or claimed), so a lost message or
a killed worker delays notifications by about claim_timeout + sweep_interval, not by
the Redis broker's heartbeat redelivery (30 s and more, after a random maintenance
pass). Each row carries a lease (``lease_until``): set by a claim (claim timeout), by
a retry (due time + claim timeout) and by the sweeper when it re-enqueues the row, so
that a row is re-enqueued once per lease, not at every pass while a backlog drains.
The sweeper takes its rows with ``FOR UPDATE SKIP LOCKED`` too: two schedulers never
deadlock nor take the same row. Rows written with a later ``next_attempt_at`` (quiet hours) have no message
of their own: the sweeper enqueues them within sweep_interval of falling due. The
sweeper and the rows it finds stuck (through ``redeliver``) use the
``outbox_recovery`` queue with a higher priority, so that they do not wait behind
the backlog of ``deliver`` messages.

Exactly once, and where the database stops helping
---------------------------------------------------
The unique ``dedupe_key`` makes a re-run fan-out insert nothing twice, and the claim
lets one worker at a time hold a row. What no commit can cover is the moment
between the provider accepting a message and our commit of ``sent``: a worker killed
there leaves the row ``sending`` although the SMS is gone. When the row is reclaimed,
the actor first asks the provider, if it offers the optional lookup::

    already_sent(keys: list[str]) -> dict[str, str | None]   # key → provider_ref

(OVH answers it from ``GET /sms/{service}/outgoing?tag=…``; the folder e-mail
provider from its file names) and records the keys it knows as sent instead of
sending them again. A provider without the lookup gets such a row again: delivery is
then at least once, and a duplicate can only come from a crash inside that window.
The same rule covers any failure whose outcome is unknown (a provider raising
something other than a delivery error, a missing result): the row stays ``sending``
and is looked up or resent after the claim timeout.

A provider call that lasts longer than the claim timeout looks like a dead worker
and may be sent twice by a provider without the lookup: keep
``vvs.outbox.claim_timeout`` well above a batch's send time (rate limits included).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import dramatiq
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from zope.sqlalchemy import mark_changed

from ..clock import aware, utcnow
from ..errors import PermanentDeliveryError, TransientDeliveryError
from vvs_core.notify import sms
from ..interfaces import OutgoingCall, OutgoingEmail, OutgoingSMS
from vvs_core.web.links import public_base_url
from vvs_core.providers.push import OutgoingPush
from ..models.notification import Notification, NotificationContent
from ..providers import provider_on
from ..jobs.lease import LeaseKeeper
from vvs_core.jobs.tasks import RECOVERY_QUEUE, task_request
from .calls import CONFIRM_PROMPT
from .fallback import fall_back_safely
from .outbox import enqueue_delivery_after_commit, provider_key

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60   # an alert in trouble is retried at least once a minute
SWEEP_LIMIT = 5000         # ids per sweeper pass; the next pass takes the rest
STALLED_LIMIT = 100_000    # ids per pass when nothing was claimed for the claim timeout
EXPIRED = "expirée avant l'envoi"


@dramatiq.actor(max_retries=0)
def deliver(ids):
    """Deliver the notifications ``ids`` that are due (see the module docstring), after
    any rows a dead worker held and the rows due for longest (``claim_notifications``)."""
    deliver_notifications(ids, reclaim=False)


@dramatiq.actor(max_retries=0, queue_name=RECOVERY_QUEUE, priority=-10)
def redeliver(ids):
    """``deliver`` for rows a dead worker held. A queue of its own and a higher
    priority: they must not wait behind the backlog queued since they were claimed."""
    deliver_notifications(ids)


@dramatiq.actor(max_retries=0, queue_name=RECOVERY_QUEUE, priority=-10)
def sweep_outbox():
    """Re-enqueue notifications that look lost (pending and due, or claimed, for longer
    than the claim timeout); cancel expired ones. On the recovery queue too: a sweep
    queued behind the backlog would come too late to help."""
    sweep_notifications()


# --- deliver ------------------------------------------------------------------

@dataclass
class Outcome:
    notification: Notification
    status: str                 # sent | retry | failed | cancelled | unknown
    provider: str = ""
    provider_ref: str | None = None
    error: str = ""


def deliver_notifications(ids, registry=None, now=None, reclaim=True) -> dict[str, int]:
    """Claim, send and record; returns how many rows ended in each outcome.

    ``now`` fixes the clock (tests); otherwise each step reads the time. ``reclaim``:
    also take the rows among ``ids`` whose claim timed out.
    """
    retry_later: dict[int, list[int]] = defaultdict(list)
    with task_request(registry) as request:
        settings = request.registry.settings
        claimed_at = now or utcnow()
        fresh, reclaimed = claim_notifications(
            request.dbsession, ids, claimed_at, settings["vvs.outbox.claim_timeout"], reclaim=reclaim)
        _commit_and_continue(request)  # the claim is durable before a provider sees anything
        if not (fresh or reclaimed):
            return {}
        claim = ClaimRenewal([n.id for n in (*fresh, *reclaimed)], claimed_at, settings["vvs.outbox.claim_timeout"])
        keeper = LeaseKeeper(request.registry, claim.renew, claim.timeout, f"{len(claim.ids)} notifications",
                             committed=claim.renewed).start()
        try:
            rendered = {n.id: with_push_devices(request, n, render(request, n)) for n in (*fresh, *reclaimed)}
            _commit_and_continue(request)  # a renderer's reads must not stay open during sends
            outcomes = send_claimed(request.registry, fresh, reclaimed, rendered,
                                    now or utcnow(), settings["vvs.outbox.max_attempts"])
        finally:
            keeper.stop()
        retry_later = record_outcomes(request.dbsession, outcomes, claim.claimed_at, now or utcnow(), settings)
        _commit_and_continue(request)  # the outcomes stand whatever happens to the fallbacks
        fall_back_safely(request, [o.notification.id for o in outcomes if o.status in ("failed", "retry")])
    for delay, retry_ids in retry_later.items():
        try:
            deliver.send_with_options(args=(retry_ids,), delay=delay * 1000)
        except Exception:  # the sweeper will find them due
            log.exception("outbox: retry of %d notifications not enqueued", len(retry_ids))
    counts: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        counts[outcome.status] += 1
    return dict(counts)


class ClaimRenewal:
    """The claim of a batch, renewed while it is being sent (``LeaseKeeper``): a batch
    slowed down past the claim timeout by a loaded machine is not taken for a dead
    worker's and sent twice. Renewing moves ``claimed_at`` (and ``lease_until``) on, so
    ``claimed_at`` is the last time the claimer showed life; ``self.claimed_at`` is the
    claim's token as last renewed, which ``record_outcomes`` checks the rows against."""

    def __init__(self, ids, claimed_at, timeout):
        self.ids, self.claimed_at, self.timeout = list(ids), claimed_at, int(timeout)

    def renew(self, dbsession):
        """Write the renewed claim; returns its time, or None when no row is ours any more."""
        now = utcnow()
        if now <= self.claimed_at:  # a test's clock ahead of the real one: nothing to renew
            return None
        renewed = dbsession.execute(
            sa.update(Notification)
            .where(one_of(dbsession, Notification.id, self.ids), Notification.status == "sending",
                   Notification.claimed_at == self.claimed_at)
            .values(claimed_at=now, lease_until=now + timedelta(seconds=self.timeout))
            .execution_options(synchronize_session=False)).rowcount
        return now if renewed else None

    def renewed(self, at) -> None:
        """Called once the renewal has committed: the rows carry the new time."""
        self.claimed_at = at


def one_of(dbsession, column, ids):
    """``column IN ids``; on PostgreSQL ``= ANY(array)``: one short statement the driver parses once, not 500 values."""
    postgres = dbsession.get_bind().dialect.name == "postgresql"
    return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.Integer))) if postgres else column.in_(ids)


def _commit_and_continue(request) -> None:
    request.tm.commit()
    request.tm.begin()


def claim_notifications(dbsession, ids, now, claim_timeout, reclaim=True) -> tuple[list, list]:
    """Claim up to ``len(ids)`` rows: (fresh rows, rows reclaimed from a dead claim).

    First the rows whose claim was not renewed for the claim timeout (a dead worker's:
    with ``reclaim``, those among ``ids`` first), oldest claim first. Then, oldest
    first, rows due for longer than the claim timeout, whichever message they
    came with, are taken before the message's own ``ids`` (up to ``len(ids)`` rows in
    all). Their message was lost (a restarted broker), is held by a dead worker (the
    Redis broker puts it back only after a heartbeat timeout, at the end of the queue),
    or waits behind a backlog: in every case they have waited longest. The message's
    own rows then fall to the next message, so no row waits for its own message, and a
    backlog drains in the order the rows fell due. The rows come back as plain
    read-only rows (attribute access, as a ``Notification``), not session objects: a
    batch is hundreds of rows, and an ORM object per row costs more than its sending.
    """
    ids = [int(i) for i in ids]
    if not ids:
        return [], []
    stale = now - timedelta(seconds=int(claim_timeout))
    # Reclaimed rows come first and regardless of expiry: they may already be at the
    # provider, which is asked before anything is cancelled or sent again.
    lease_until = now + timedelta(seconds=int(claim_timeout))
    # A claim not renewed for the claim timeout is a dead (or hopelessly starved)
    # worker's: any claim takes such rows first, oldest first, so they do not wait for
    # the sweeper's recovery message to reach a free worker (a killed worker may have
    # fetched that message too). Then the rows due for longest, then the message's own.
    dead = (Notification.status == "sending") & (Notification.claimed_at < stale)
    listed = one_of(dbsession, Notification.id, ids)
    reclaimed = _claim(dbsession, now, lease_until, listed & dead) if reclaim else []
    if len(reclaimed) < len(ids):
        reclaimed += _claim(dbsession, now, lease_until, dead, limit=len(ids) - len(reclaimed),
                            order=Notification.claimed_at)
    reclaimed.sort(key=lambda n: n.id)
    # The message's own rows by primary key, then their status (``status || ''``: no index's): after a fan-out the
    # statistics still count few pending rows and PostgreSQL walked the status index through 200,000, 1 s a batch.
    by_id = Notification.status.concat("")
    dbsession.execute(sa.update(Notification).where(listed, by_id == "pending", Notification.expires_at < now)
                      .values(status="cancelled", last_error=EXPIRED).execution_options(synchronize_session=False))
    due = lambda status: ((status == "pending") & (Notification.next_attempt_at <= now)  # noqa: E731
                          & sa.or_(Notification.expires_at.is_(None), Notification.expires_at >= now))
    room = len(ids) - len(reclaimed)
    fresh = _claim(dbsession, now, lease_until, due(Notification.status) & (Notification.next_attempt_at <= stale),
                   limit=room) if room else []
    if len(fresh) < room:
        taken = {n.id for n in fresh}
        own = [i for i in ids if i not in taken]
        fresh += _claim(dbsession, now, lease_until, due(by_id) & one_of(dbsession, Notification.id, own), room - len(fresh))
    fresh.sort(key=lambda n: n.id)
    with_text = with_contents(dbsession, [*fresh, *reclaimed])
    return with_text[:len(fresh)], with_text[len(fresh):]


def with_contents(dbsession, rows) -> list[SimpleNamespace]:
    """``rows`` as plain objects (columns read ~20 times each) with their texts, read once for the batch."""
    table = NotificationContent.__table__
    ids = {n.content_id for n in rows if n.content_id is not None}
    found = dbsession.execute(sa.select(table.c.id, table.c.title, table.c.body, table.c.html)
                              .where(table.c.id.in_(ids))) if ids else []
    contents = {cid: dict(title=title, body=body, html=html) for cid, title, body, html in found}
    return [SimpleNamespace(**n._asdict(), **contents.get(n.content_id, dict(title="", body="", html=None))) for n in rows]


_CLAIMED_COLUMNS = tuple(Notification.__table__.columns)


def _claim(dbsession, now, lease_until, condition, limit=None, order=Notification.next_attempt_at) -> list:
    lockable = sa.select(Notification.id).where(condition)
    if limit is not None:
        lockable = lockable.order_by(order).limit(limit)
    stmt = (sa.update(Notification)
            .where(Notification.id.in_(lockable.with_for_update(skip_locked=True)))
            .values(status="sending", claimed_at=now, lease_until=lease_until, attempts=Notification.attempts + 1)
            .returning(*_CLAIMED_COLUMNS)
            .execution_options(synchronize_session=False))
    return sorted(dbsession.execute(stmt).all(), key=lambda n: n.id)  # RETURNING has no order


def render(request, notification) -> dict:
    try:
        answer = request.registry.vvs_plugins.hook.vvs_render_notification(
            request=request, notification=notification, channel=notification.channel)
    except Exception:
        log.exception("outbox: rendering of notification %s failed; sending its stored text",
                      notification.id)
        answer = None
    answer = answer or render_stored(notification)
    if notification.channel == "sms":
        # What every SMS provider receives: GSM-7 wherever French allows, in at most
        # vvs.sms.max_segments parts, links and the 17 line kept (vvs_core.notify.sms).
        answer = {**answer, "text": sms.fit_text(answer.get("text") or "", request.registry.settings["vvs.sms.max_segments"])}
    if notification.channel == "voice":
        # What every voice provider reads aloud: no links, and what the keys do.
        from .calls import speakable

        # No "prompt" given: press 1 to confirm; "prompt": "" says nothing about the keys.
        prompt = answer["prompt"] if answer.get("prompt") is not None else CONFIRM_PROMPT
        answer = {**answer, "text": speakable(answer.get("text") or ""), "prompt": prompt}
    return answer


def render_stored(notification) -> dict:
    return {"subject": notification.title, "text": notification.body, "html": notification.html}


def with_push_devices(request, notification, rendered) -> dict:
    """A push row goes to every device of its recipient, read now (inside the
    transaction), so that the provider sends without touching the database."""
    if notification.channel != "push":
        return rendered
    from vvs_core.providers.push import link_in, push_devices

    base = public_base_url(request)
    devices = push_devices(request.registry)
    targets = rendered.get("devices") or (devices.targets(request.dbsession, notification.recipient_id) if devices else [])
    return {**rendered, "devices": targets,
            "url": rendered.get("url") or link_in(rendered.get("text") or "", base)}


def build_message(notification, rendered):
    key = provider_key(notification)
    if notification.channel == "sms":
        return OutgoingSMS(to=notification.address, text=rendered.get("text") or "",
                           key=key)
    if notification.channel == "email":
        return OutgoingEmail(to=notification.address, subject=rendered.get("subject") or "",
                             text=rendered.get("text") or "", html=rendered.get("html"),
                             key=key, headers=dict(rendered.get("headers") or {}))
    if notification.channel == "voice":
        return OutgoingCall(to=notification.address, text=rendered.get("text") or "",
                            prompt=rendered.get("prompt") or "", key=key)
    if notification.channel == "push":
        return OutgoingPush(key=key, title=rendered.get("subject") or "",
                            text=rendered.get("text") or "", url=rendered.get("url") or "/",
                            devices=rendered.get("devices") or [])
    raise PermanentDeliveryError(f"aucun format de message pour le canal {notification.channel}")


def send_claimed(registry, fresh, reclaimed, rendered, now, max_attempts) -> list[Outcome]:
    by_channel: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for n in fresh:
        by_channel[n.channel][0].append(n)
    for n in reclaimed:
        by_channel[n.channel][1].append(n)
    outcomes = []
    for channel, (fresh_rows, reclaimed_rows) in by_channel.items():
        provider = provider_on(registry, channel)
        if provider is None:
            outcomes += [Outcome(n, "failed", error=f"aucun fournisseur pour le canal {channel}")
                         for n in (*fresh_rows, *reclaimed_rows)]
            continue
        settled, resend = resolve_reclaimed(provider, reclaimed_rows, now, max_attempts)
        outcomes += settled
        outcomes += send_batch(provider, [*fresh_rows, *resend], rendered)
    return outcomes


def resolve_reclaimed(provider, rows, now, max_attempts) -> tuple[list[Outcome], list]:
    """Rows a dead worker had claimed: (outcomes settled without sending, rows to send)."""
    if not rows:
        return [], []
    found: dict = {}
    lookup = getattr(provider, "already_sent", None)
    if lookup is not None:
        try:
            found = lookup([provider_key(n) for n in rows]) or {}
        except Exception:
            log.exception("outbox: %s could not say what it already sent", provider.name)
            return [Outcome(n, "failed" if n.attempts > max_attempts else "unknown",
                            error="état inconnu : le fournisseur ne répond pas") for n in rows], []
    settled, resend = [], []
    for n in rows:
        if provider_key(n) in found:
            settled.append(Outcome(n, "sent", provider.name, found[provider_key(n)]))
        elif n.expires_at is not None and aware(n.expires_at) < now:
            settled.append(Outcome(n, "cancelled", error=EXPIRED))
        elif n.attempts > max_attempts:
            settled.append(Outcome(n, "failed", error=f"abandonnée après {max_attempts} tentatives"))
        else:
            resend.append(n)
    return settled, resend


def send_batch(provider, rows, rendered) -> list[Outcome]:
    outcomes, sendable, messages = [], [], []
    for n in rows:
        try:
            messages.append(build_message(n, rendered[n.id]))
            sendable.append(n)
        except PermanentDeliveryError as exc:
            outcomes.append(Outcome(n, "failed", error=str(exc)))
    if not sendable:
        return outcomes
    try:
        results = provider.send_batch(messages)
    except TransientDeliveryError as exc:  # by contract: nothing of the batch was sent
        return outcomes + [Outcome(n, "retry", error=str(exc) or "erreur temporaire") for n in sendable]
    except PermanentDeliveryError as exc:
        return outcomes + [Outcome(n, "failed", error=str(exc) or "refusé") for n in sendable]
    except Exception:
        log.exception("outbox: %s failed on a batch of %d; outcome unknown", provider.name, len(sendable))
        return outcomes + [Outcome(n, "unknown", error="erreur du fournisseur, issue inconnue")
                           for n in sendable]
    by_key = {result.key: result for result in results or []}
    for n in sendable:
        result = by_key.get(provider_key(n))
        if result is None:
            outcomes.append(Outcome(n, "unknown", error="le fournisseur n'a rien dit de ce message"))
        elif result.ok:
            outcomes.append(Outcome(n, "sent", provider.name, result.provider_ref))
        elif result.transient:
            outcomes.append(Outcome(n, "retry", error=result.error or "erreur temporaire"))
        else:
            outcomes.append(Outcome(n, "failed", error=result.error or "refusé"))
    return outcomes


def record_outcomes(dbsession, outcomes, claimed_at, now, settings) -> dict[int, list[int]]:
    """Write the outcomes; returns the rows to retry grouped by delay in seconds."""
    max_attempts = settings["vvs.outbox.max_attempts"]
    first_backoff = settings["vvs.outbox.retry_backoff"]
    sent, ours, retry_later = [], [], defaultdict(list)
    for o in outcomes:
        n, error = o.notification, o.error[:500]
        if o.status == "sent":
            sent.append(dict(id=n.id, status="sent", provider=o.provider, provider_ref=o.provider_ref,
                             sent_at=now, last_error=""))
        elif o.status == "retry" and n.attempts < max_attempts:
            delay = min(int(first_backoff) * 2 ** max(0, n.attempts - 1), MAX_BACKOFF_SECONDS)  # doubling
            # The delayed message is in flight until it is due (and a claim timeout more).
            ours.append(dict(id=n.id, status="pending", last_error=error,
                             next_attempt_at=now + timedelta(seconds=delay),
                             lease_until=now + timedelta(seconds=delay + int(settings["vvs.outbox.claim_timeout"]))))
            retry_later[delay].append(n.id)
        elif o.status in ("retry", "failed"):
            if o.status == "retry":
                error = f"{error} ({n.attempts} tentatives)"
            ours.append(dict(id=n.id, status="failed", last_error=error, next_attempt_at=n.next_attempt_at,
                             lease_until=n.lease_until))
            log.warning("outbox: notification %s failed: %s", n.id, error)
        elif o.status == "cancelled":
            ours.append(dict(id=n.id, status="cancelled", last_error=error, next_attempt_at=n.next_attempt_at,
                             lease_until=n.lease_until))
        else:  # unknown: stays sending until the claim times out, then it is looked up
            ours.append(dict(id=n.id, status="sending", last_error=error, next_attempt_at=n.next_attempt_at,
                             lease_until=n.lease_until))
    if sent:
        # "sent" is a fact whoever holds the claim now.
        record_sent(dbsession, sent, now)
    if ours:
        # Other changes only if the claim is still ours: a worker that reclaimed the
        # row after our timeout is in charge of it.
        dbsession.execute(
            sa.update(Notification).where(Notification.status == "sending",
                                          Notification.claimed_at == claimed_at)
            .execution_options(synchronize_session=None), ours)
    return retry_later


def record_sent(dbsession, sent: list[dict], now) -> None:
    """Mark rows sent with their provider and reference. On PostgreSQL one statement for
    the whole batch (a loaded database pays per statement, and a batch is hundreds of
    rows); elsewhere one UPDATE per row."""
    if dbsession.get_bind().dialect.name != "postgresql":
        dbsession.execute(sa.update(Notification).where(Notification.status == "sending")
                          .execution_options(synchronize_session=None), sent)
        return
    dbsession.execute(
        sa.text("UPDATE notifications AS n SET status = 'sent', provider = v.provider, provider_ref = v.ref, "
                "sent_at = :now, last_error = '' "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:providers AS text[]), CAST(:refs AS text[])) "
                "AS v(id, provider, ref) WHERE n.id = v.id AND n.status = 'sending'"),
        {"ids": [r["id"] for r in sent], "providers": [r["provider"] for r in sent],
         "refs": [r["provider_ref"] for r in sent], "now": now})
    mark_changed(dbsession)


# --- sweep ------------------------------------------------------------------------

def _lease_rows(dbsession, condition, order, limit, lease_until) -> list[int]:
    """Give a new lease to at most ``limit`` rows matching ``condition``; their ids. Rows
    locked by a worker's claim or by another sweeper are skipped, never waited for: two
    sweepers (one per scheduler) never deadlock, and never both take a row."""
    if limit <= 0:
        return []
    picked = (sa.select(Notification.id).where(condition).order_by(order).limit(limit)
              .with_for_update(skip_locked=True))
    return sorted(dbsession.scalars(
        sa.update(Notification).where(Notification.id.in_(picked)).values(lease_until=lease_until)
        .returning(Notification.id).execution_options(synchronize_session=False)))


def outbox_stalled(dbsession, since) -> bool:
    """True when no worker has claimed a notification since ``since``."""
    latest = [sa.select(sa.func.max(Notification.claimed_at)).where(Notification.status == status).scalar_subquery()
              for status in ("sending", "sent", "delivered", "failed")]  # each through the (status, claimed_at) index
    known = [aware(c) for c in dbsession.execute(sa.select(*latest)).one() if c is not None]
    return not known or max(known) < since


def sweep_notifications(registry=None, now=None, limit=SWEEP_LIMIT, stalled_limit=STALLED_LIMIT) -> int:
    """Cancel expired rows and re-enqueue due or stuck ones; returns how many (at most
    ``limit``, or ``stalled_limit`` when nothing was claimed for the claim timeout)."""
    with task_request(registry) as request:
        db = request.dbsession
        now = now or utcnow()
        claim_timeout = timedelta(seconds=int(request.registry.settings["vvs.outbox.claim_timeout"]))
        stale = now - claim_timeout
        expired = (sa.select(Notification.id)
                   .where(Notification.status == "pending", Notification.expires_at < now)
                   .with_for_update(skip_locked=True))
        db.execute(
            sa.update(Notification).where(Notification.id.in_(expired))
            .values(status="cancelled", last_error=EXPIRED)
            .execution_options(synchronize_session=False))
        # A row's lease (lease_until) says until when a message for it is believed to be
        # in flight: rows re-enqueued here get a new one, so that a backlog longer than
        # the claim timeout is not re-enqueued at every pass.
        lease_over = sa.or_(Notification.lease_until.is_(None), Notification.lease_until < now)
        stuck = _lease_rows(db, (Notification.status == "sending") & (Notification.claimed_at < stale) & lease_over,
                            Notification.claimed_at, limit, now + claim_timeout)
        # Never leased: a row due since its creation had a message sent at commit. While
        # workers claim rows, it waits in the queue: every claim takes the rows due for
        # longest first (``claim_notifications``), whichever message it came with, so a
        # lost message's rows go with the next one. Only when nothing was claimed for the
        # claim timeout is it presumed lost (a restarted broker, dead workers) and sent
        # again. Re-enqueueing each row of a long backlog at every lease would cost
        # more than sending it. A row scheduled for later (quiet hours) has no message
        # and is taken as soon as it is due.
        # When stalled, a whole lost backlog goes out in one pass (up to STALLED_LIMIT
        # rows): passes come only once nothing was claimed for the claim timeout.
        scheduled = Notification.next_attempt_at > Notification.created_at
        stalled = outbox_stalled(db, stale)
        unleased = Notification.lease_until.is_(None) & (
            sa.or_(Notification.next_attempt_at <= stale, scheduled) if stalled else scheduled)
        due = _lease_rows(db, (Notification.status == "pending") & (Notification.next_attempt_at <= now)
                          & sa.or_(unleased, Notification.lease_until < now),
                          Notification.next_attempt_at,
                          (max(limit, stalled_limit) if stalled else limit) - len(stuck), now + claim_timeout)
        enqueue_delivery_after_commit(request, stuck, actor=redeliver)
        enqueue_delivery_after_commit(request, due)
    if stuck or due:
        log.info("outbox: sweeper re-enqueued %d notifications (%d stuck)", len(stuck) + len(due), len(stuck))
    return len(stuck) + len(due)
