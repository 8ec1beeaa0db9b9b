"""The purge (issue 16.6): the notifications and the community events are kept for
a period the operator sets (``vvs.retention.notifications_days``,
``vvs.retention.events_days``; 0 keeps them for ever), then deleted by a periodic task that
the scheduler runs (``purge_old_rows`` every ``vvs.retention.purge_interval`` seconds) and
by ``vvs purge INI``. The tables stay the size of the retention window.

The delete never holds a table: it goes in batches of ``vvs.retention.batch_size`` rows,
each in a transaction of its own (a few milliseconds of row locks on those rows only; the
web and the workers write meanwhile), picked by primary key below the first row recent
enough to keep, so that finding them walks the primary key's index, not the table
(``created_at`` grows with the id; a row written out of order is kept, by the date test,
until a later pass). Notifications still in flight (``pending``, ``sending``) are never
deleted, whatever their age.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.models import CommunityEvent, Notification, NotificationContent

log = logging.getLogger(__name__)

IN_FLIGHT = ("pending", "sending")
CONTENT_GRACE = timedelta(days=1)  # a text no notification refers to any more is deleted after this


@dataclass
class Purged:
    """What a pass deleted from one table: the size of each batch (each its own transaction)."""
    table: str
    cutoff: object = None
    batches: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.batches)


def targets(settings, rules=()) -> list[tuple]:
    """(model, days, extra condition) of each table the retention covers; rows that a
    plugin's rule ``keeps`` are left to that rule."""
    out = []
    for model, days, condition in (
        (Notification, int(settings["vvs.retention.notifications_days"]), Notification.status.notin_(IN_FLIGHT)),
        (CommunityEvent, int(settings["vvs.retention.events_days"]), None),
    ):
        kept = [rule.keeps for rule in rules if rule.model is model and rule.keeps is not None]
        if kept:
            condition = sa.and_(*(c for c in (condition, sa.not_(sa.or_(*kept))) if c is not None))
        out.append((model, days, condition))
    return out


def plugin_rules(pm, settings) -> list:
    """The ``RetentionRule`` of every enabled plugin (none without a plugin manager)."""
    if pm is None:
        return []
    return [rule for answer in pm.hook.vvs_retention_rules(settings=settings) for rule in answer or []]


def purge(session_factory, settings, now=None, batch_size: int | None = None, max_batches: int | None = None,
          after_batch=None, pm=None) -> list[Purged]:
    """Delete what is older than its retention period, ``batch_size`` rows per transaction.

    ``session_factory()`` opens a session per batch (committed at once); ``max_batches``
    bounds one pass (the next pass goes on); ``after_batch(purged)`` is called after each
    commit (tests, progress). ``pm``: the plugin manager, whose plugins add their
    ``vvs_retention_rules``."""
    now = now or utcnow()
    size = int(batch_size or settings["vvs.retention.batch_size"])
    limit = max_batches if max_batches is not None else int(settings["vvs.retention.max_batches"])
    rules = plugin_rules(pm, settings)
    reports = []
    for rule in rules:
        reports.append(purge_rule(session_factory, rule, now, size, limit, after_batch))
    for model, days, condition in targets(settings, rules):
        report = Purged(model.__tablename__)
        reports.append(report)
        if days <= 0:
            continue
        report.cutoff = cutoff = now - timedelta(days=days)
        old = model.created_at < cutoff
        if condition is not None:
            old = sa.and_(old, condition)
        with session_factory() as session:
            # The first row recent enough to keep: everything to delete has a smaller id.
            boundary = session.scalar(sa.select(model.id).where(model.created_at >= cutoff)
                                      .order_by(model.id).limit(1))
        below = model.id < boundary if boundary is not None else sa.true()
        delete_in_batches(session_factory, model, lambda _session: sa.and_(below, old), report, size, limit,
                          after_batch)
        if report.rows:
            log.info("retention: %d rows of %s older than %s deleted in %d batches", report.rows, report.table,
                     cutoff.date().isoformat(), len(report.batches))
    if int(settings["vvs.retention.notifications_days"]) > 0 or any(r.model is Notification for r in rules):
        reports.append(purge_contents(session_factory, now, size, limit, after_batch))
    else:  # notifications kept for ever: so are their texts
        reports.append(Purged(NotificationContent.__tablename__))
    return reports


def purge_contents(session_factory, now, size: int, limit: int, after_batch=None) -> Purged:
    """Delete the texts no notification refers to any more, a day old at least (a fan-out
    locks the texts it picks, ``FOR KEY SHARE``, and writes again one deleted meanwhile)."""
    report = Purged(NotificationContent.__tablename__, cutoff=now - CONTENT_GRACE)
    unused = sa.and_(NotificationContent.created_at < report.cutoff,
                     ~sa.exists().where(Notification.content_id == NotificationContent.id))
    delete_in_batches(session_factory, NotificationContent, lambda _session: unused, report, size, limit, after_batch)
    return report


def delete_in_batches(session_factory, model, condition, report: Purged, size: int, limit: int, after_batch) -> None:
    """Delete the rows of ``model`` matching ``condition(session)`` (None: nothing), ``size``
    per transaction, at most ``limit`` batches; a row locked elsewhere waits for the next pass."""
    while len(report.batches) < limit:
        with session_factory() as session:
            old = condition(session)
            if old is None:
                break
            picked = sa.select(model.id).where(old).order_by(model.id).limit(size)
            if session.get_bind().dialect.name == "postgresql":
                picked = picked.with_for_update(skip_locked=True)
            ids = list(session.scalars(picked))
            if ids:
                session.execute(sa.delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False))
            session.commit()
        if not ids:
            break
        report.batches.append(len(ids))
        if after_batch is not None:
            after_batch(report)
        if len(ids) < size:
            break


def purge_rule(session_factory, rule, now, size: int, limit: int, after_batch=None) -> Purged:
    """Delete, in batches, the rows a plugin's ``RetentionRule`` says are old."""
    report = Purged(rule.name, cutoff=now)

    def old(session):
        found = rule.old(session, now)
        if found is not None and rule.model is Notification:
            found = sa.and_(found, Notification.status.notin_(IN_FLIGHT))
        return found

    delete_in_batches(session_factory, rule.model, old, report, size, limit, after_batch)
    if report.rows:
        log.info("retention: %d rows of %s deleted in %d batches", report.rows, rule.name, len(report.batches))
    return report


def purge_from_registry(registry=None) -> list[Purged]:
    from vvs_core.jobs.tasks import task_registry

    registry = registry or task_registry()
    return purge(registry["dbsession_factory"], registry.settings, pm=getattr(registry, "vvs_plugins", None))
