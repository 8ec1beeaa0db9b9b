"""Leased jobs: background work that must run once a transaction has committed, even if
the worker running it is killed or the broker forgets its queues (an alert's fan-out).

Life of a job row (``vvs_core.models.job.Job``, one per actor and arguments)::

    queued ──claim (lease_until = now + vvs.jobs.lease, attempts + 1)──▶ running ──▶ done
      ▲   lease ran out (worker killed, message lost): the reaper sends it again  │
      └──────────────────── failure: back to queued after a backoff ◀─────────────┘
                             vvs.jobs.max_attempts runs ──▶ failed (logged)

1. **Asked for** in the caller's transaction: ``enqueue_job_after_commit(request,
   actor, *args)`` writes the row (``lease_until`` = now + lease: the time its queue
   message has to be picked up) and sends the message after commit. No commit, no row,
   no message; a commit without a message (crash, broker down) leaves a row.
2. **Run** by an actor declared with ``@leased_actor``: the worker claims the row in its
   own committed transaction, only if it is queued or its lease ran out; a duplicate
   message finds it running or done and does nothing. Then the function runs (in its
   own ``task_request``), then the row is marked done. While it runs, the worker renews
   the lease every third of ``vvs.jobs.lease`` (``LeaseKeeper``, PostgreSQL): a long run
   on a loaded machine keeps its job, a killed worker stops renewing.
3. **Reaped**: ``reap`` (the ``reap_jobs`` periodic task, every ``vvs.jobs.reap_interval``
   seconds, from ``vvs scheduler`` or the web process with the inline broker) takes
   the rows queued or running whose lease ran out, gives them a new lease and sends
   their message again, on the recovery queue (it does not wait behind the backlog).

So whatever a killed worker held, and whatever a restarted broker lost, runs again
within about ``vvs.jobs.lease + vvs.jobs.reap_interval`` seconds, whatever the broker
does (Redis requeues a dead worker's messages only after its heartbeat timeout and a
random maintenance pass). A job may run more than once (a worker too starved to renew
its lease, a kill between the work's commit and "done"): leased functions must be idempotent, as
the fan-out is (one notification row per unique dedupe key; the outbox sends each row
once, ``vvs_core.notify.actors``).
"""

import functools
import json
import logging
import threading
from datetime import timedelta

import dramatiq
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import utcnow
from ..models.job import Job
from vvs_core.jobs.tasks import RECOVERY_QUEUE, enqueue_after_commit, send_after_commit, task_registry, task_request

log = logging.getLogger(__name__)

KEY_MAX = 200        # Job.key is String(200)
REAP_LIMIT = 1000    # jobs per reaper pass; the next pass takes the rest
MAX_BACKOFF = 60     # seconds before a failed job runs again, at most
KEEP_DONE = timedelta(days=1)


def job_key(actor_name: str, args) -> str:
    key = f"{actor_name}:{json.dumps(list(args), separators=(',', ':'))}"
    if len(key) > KEY_MAX:
        raise ValueError(f"leased job key longer than {KEY_MAX} characters: {key[:60]}…")
    return key


def _insert(dbsession):
    dialect = dbsession.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Job)


def enqueue_job_after_commit(request, actor, *args) -> None:
    """Write the job row of ``actor(*args)`` in the request's transaction and send its
    message once committed. Asking twice for the same job writes one row."""
    now = utcnow()
    lease = int(request.registry.settings["vvs.jobs.lease"])
    request.dbsession.execute(
        _insert(request.dbsession)
        .values(key=job_key(actor.actor_name, args), actor=actor.actor_name, args=list(args), status="queued",
                attempts=0, created_at=now, lease_until=now + timedelta(seconds=lease), last_error="")
        .on_conflict_do_nothing(index_elements=["key"]))
    enqueue_after_commit(request, actor, *args)


def leased_actor(fn=None, **options):
    """``@dramatiq.actor`` for a job asked for with ``enqueue_job_after_commit``: the run
    holds a lease on the job row (see the module docstring). Retries are the reaper's,
    not dramatiq's (``max_retries=0``). Arguments are positional and JSON-serialisable."""
    def decorate(fn):
        name = options.pop("actor_name", fn.__name__)

        @functools.wraps(fn)
        def run(*args):
            return run_leased(name, args, fn)

        return dramatiq.actor(run, actor_name=name, max_retries=0, **options)

    return decorate(fn) if fn is not None else decorate


def run_leased(name: str, args, fn, registry=None):
    """Claim the job, run ``fn(*args)``, mark it done; on failure, queue it again after a
    backoff. Returns what ``fn`` returned, or None when it did not run."""
    registry = registry or task_registry()
    settings = registry.settings
    key = job_key(name, args)
    claimed_at = utcnow()
    with task_request(registry) as request:
        attempts = claim(request.dbsession, key, name, args, claimed_at, settings["vvs.jobs.lease"],
                         settings["vvs.jobs.max_attempts"])
    if attempts is None:
        return None
    lease = settings["vvs.jobs.lease"]
    keeper = LeaseKeeper(registry, lambda db: renew(db, key, claimed_at, lease), lease, key).start()
    try:
        result = fn(*args)
    except Exception as exc:
        log.exception("job %s failed (run %d)", key, attempts)
        keeper.stop()
        with task_request(registry) as request:
            release(request.dbsession, key, claimed_at, attempts, f"{type(exc).__name__}: {exc}")
        return None
    finally:
        keeper.stop()
    with task_request(registry) as request:
        finish(request.dbsession, key)
    return result


class LeaseKeeper:
    """Renews a lease every third of its length while work runs in this thread, so that
    a lease can stay short (it bounds how long a killed worker's work waits) without a
    long run on a loaded machine being taken for a dead one and done twice. A killed
    worker renews nothing: its lease runs out within one lease.

    ``renew(dbsession)`` writes the new lease and returns something false when the
    lease is no longer ours (then renewing stops); once that transaction has committed,
    ``committed(what renew returned)`` is called, if given. Used for leased jobs (``run_leased``) and for the
    notification rows a worker claimed (``vvs_core.notify.actors``). On SQLite (one
    writer at a time, the embedded default runs its tasks inline) nothing is renewed:
    the work's own transaction would hold the renewal back."""

    def __init__(self, registry, renew, lease_seconds, what="", committed=None):
        self.registry, self.renew, self.what, self.committed = registry, renew, what, committed
        self.lease = int(lease_seconds)
        self.stopping = threading.Event()
        self.thread = None

    def start(self):
        engine = getattr(self.registry["dbsession_factory"], "kw", {}).get("bind")
        if engine is None or engine.dialect.name != "postgresql":
            return self
        self.thread = threading.Thread(target=self._run, name=f"lease {self.what}", daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.stopping.wait(max(1.0, self.lease / 3)):
            try:
                with task_request(self.registry) as request:
                    result = self.renew(request.dbsession)
            except Exception:
                log.exception("%s: lease not renewed", self.what)
                continue
            if not result:
                return  # the lease is someone else's now, or the work is over
            if self.committed is not None:
                self.committed(result)

    def stop(self):
        """Stop renewing; returns once no renewal is under way."""
        self.stopping.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=30)


def renew(dbsession, key, claimed_at, lease_seconds) -> bool:
    """Push the lease of a running job on, if it is still the one taken at ``claimed_at``."""
    return bool(dbsession.execute(
        sa.update(Job).where(Job.key == key, Job.status == "running", Job.claimed_at == claimed_at)
        .values(lease_until=utcnow() + timedelta(seconds=int(lease_seconds)))
        .execution_options(synchronize_session=False)).rowcount)


def claim(dbsession, key, name, args, now, lease_seconds, max_attempts) -> int | None:
    """Take the lease of job ``key``: its run number, or None if it must not run now
    (done, failed, or held by a worker whose lease still runs)."""
    lease_until = now + timedelta(seconds=int(lease_seconds))
    row = dbsession.execute(
        sa.update(Job)
        .where(Job.key == key, sa.or_(Job.status == "queued",
                                      (Job.status == "running") & (Job.lease_until < now)))
        .values(status="running", claimed_at=now, lease_until=lease_until, attempts=Job.attempts + 1)
        .returning(Job.attempts)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        # A message without a row (sent directly, or by an older version): lease it now.
        inserted = dbsession.execute(
            _insert(dbsession)
            .values(key=key, actor=name, args=list(args), status="running", attempts=1, created_at=now,
                    claimed_at=now, lease_until=lease_until, last_error="")
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Job.attempts)).first()
        if inserted is None:
            log.debug("job %s: done, failed or leased elsewhere; nothing to do", key)
            return None
        return inserted[0]
    attempts = row[0]
    if attempts > int(max_attempts):
        dbsession.execute(sa.update(Job).where(Job.key == key)
                          .values(status="failed", finished_at=now, last_error=f"{attempts - 1} runs failed")
                          .execution_options(synchronize_session=False))
        log.error("job %s failed %d times: given up", key, attempts - 1)
        return None
    return attempts


def finish(dbsession, key) -> None:
    """Done is a fact whoever holds the lease now (the work committed)."""
    now = utcnow()
    dbsession.execute(sa.update(Job).where(Job.key == key, Job.status.in_(("queued", "running")))
                      .values(status="done", finished_at=now, lease_until=now, last_error="")
                      .execution_options(synchronize_session=False))


def release(dbsession, key, claimed_at, attempts, error) -> None:
    """After a failure: queued again, for the reaper to send once the backoff is over
    (only if the lease is still ours)."""
    delay = min(MAX_BACKOFF, 2 ** max(0, attempts - 1))
    dbsession.execute(sa.update(Job).where(Job.key == key, Job.status == "running", Job.claimed_at == claimed_at)
                      .values(status="queued", lease_until=utcnow() + timedelta(seconds=delay),
                              last_error=error[:500])
                      .execution_options(synchronize_session=False))


def reap(registry=None, now=None, limit=REAP_LIMIT) -> int:
    """Re-enqueue the jobs whose lease ran out (a new lease each, so one message per
    lease); forget jobs done for a day. Returns how many were sent again."""
    with task_request(registry) as request:
        db = request.dbsession
        now = now or utcnow()
        lease_until = now + timedelta(seconds=int(request.registry.settings["vvs.jobs.lease"]))
        # Rows a worker or another reaper holds are skipped, never waited for (no deadlock).
        picked = (sa.select(Job.id).where(Job.status.in_(("queued", "running")), Job.lease_until < now)
                  .order_by(Job.lease_until).limit(limit).with_for_update(skip_locked=True))
        expired = db.execute(
            sa.update(Job).where(Job.id.in_(picked)).values(status="queued", lease_until=lease_until)
            .returning(Job.actor, Job.args).execution_options(synchronize_session=False)).all()
        send_after_commit(request, [m for m in (_recovery_message(j.actor, j.args) for j in expired) if m])
        db.execute(sa.delete(Job).where(Job.status == "done", Job.finished_at < now - KEEP_DONE)
                   .execution_options(synchronize_session=False))
    if expired:
        log.warning("jobs: reaper sent %d jobs again (lease ran out)", len(expired))
    return len(expired)


def _recovery_message(actor_name, args):
    broker = dramatiq.get_broker()
    try:
        actor = broker.get_actor(actor_name)
    except dramatiq.errors.ActorNotFound:
        log.error("jobs: no actor %s in this process; job left queued", actor_name)
        return None
    return actor.message(*args).copy(queue_name=RECOVERY_QUEUE)
