"""Retention (issue 16.6): notifications and community events older than the period the
operator sets are deleted by a periodic task, in batches each committed on its own; recent
rows, and notifications still being sent, stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import event

from vvs_core.models import CommunityEvent, Notification
from vvs_retention.purge import purge

SETTINGS = {"vvs.retention.notifications_days": 30, "vvs.retention.events_days": 365,
            "vvs.retention.batch_size": 10, "vvs.retention.max_batches": 500}


def notification(n, when, status="sent"):
    return Notification(dedupe_key=f"retention-test:{n}", kind="alert", channel="sms", address="+33639980000",
                        title="Alerte : « Démarcheur » à la porte", body="Appelez le 17 ✋", status=status,
                        created_at=when, next_attempt_at=when)


def test_old_rows_go_recent_ones_stay_in_batches(dbsession, session_factory, clock, make_community):
    now = clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc))
    community = make_community("Les Églantiers")
    old_sent = [notification(i, now - timedelta(days=40, minutes=i)) for i in range(23)]
    old_in_flight = [notification(100 + i, now - timedelta(days=40), status) for i, status in
                     enumerate(("pending", "sending"))]
    recent = [notification(200 + i, now - timedelta(days=5)) for i in range(5)]
    dbsession.add_all(old_sent + old_in_flight + recent)
    old_events = [CommunityEvent(community_id=community.id, kind="renamed", data={"old": "A", "new": "B"},
                                 public=True, created_at=now - timedelta(days=400, hours=i)) for i in range(12)]
    recent_events = [CommunityEvent(community_id=community.id, kind="renamed", data={"old": "B", "new": "C"},
                                    public=True, created_at=now - timedelta(days=10))]
    dbsession.add_all(old_events + recent_events)
    dbsession.flush()
    dbsession.commit()  # the test's savepoint: the purge reads what another transaction committed
    due = {"notifications": dbsession.scalar(sa.select(sa.func.count(Notification.id)).where(
               Notification.created_at < now - timedelta(days=30), Notification.status.notin_(("pending", "sending")))),
           "community_events": dbsession.scalar(sa.select(sa.func.count(CommunityEvent.id)).where(
               CommunityEvent.created_at < now - timedelta(days=365)))}
    assert due["notifications"] >= 23 and due["community_events"] >= 12

    deletes, committed_between = [], []
    engine = dbsession.get_bind().engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    def after_batch(report):
        # Each batch is committed before the next starts: a new session already misses its rows.
        with session_factory() as other:
            model = Notification if report.table == "notifications" else CommunityEvent
            cutoff = report.cutoff
            left = other.scalar(sa.select(sa.func.count(model.id)).where(model.created_at < cutoff))
        committed_between.append((report.table, left))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        reports = {r.table: r for r in purge(session_factory, SETTINGS, after_batch=after_batch)}
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    for table, count in due.items():
        batches = reports[table].batches
        assert sum(batches) == count and all(b <= 10 for b in batches), batches
        assert len(batches) == -(-count // 10) or batches[-1] == 10
    assert len(deletes) == sum(len(r.batches) for r in reports.values())
    # Rows left below the cutoff shrink batch after batch (the in-flight notifications stay).
    lefts = [left for table, left in committed_between if table == "notifications"]
    assert lefts == sorted(lefts, reverse=True) and lefts[-1] == 2

    dbsession.expire_all()
    keys = set(dbsession.scalars(sa.select(Notification.dedupe_key).where(Notification.dedupe_key.like("retention-test:%"))))
    assert keys == {f"retention-test:{n}" for n in (100, 101, 200, 201, 202, 203, 204)}
    assert dbsession.scalar(sa.select(sa.func.count(CommunityEvent.id)).where(
        CommunityEvent.community_id == community.id, CommunityEvent.created_at < now - timedelta(days=365))) == 0
    assert dbsession.get(CommunityEvent, recent_events[0].id) is not None

    # A second pass finds nothing; a retention of 0 keeps everything.
    again = purge(session_factory, SETTINGS)
    assert all(r.rows == 0 for r in again)
    clock.advance(days=400)
    forever = purge(session_factory, {**SETTINGS, "vvs.retention.notifications_days": 0,
                                      "vvs.retention.events_days": 0})
    assert all(r.rows == 0 and r.cutoff is None for r in forever)


def test_a_pass_is_bounded_and_the_next_goes_on(dbsession, session_factory, clock):
    now = clock.set(datetime(2026, 6, 1, tzinfo=timezone.utc))
    dbsession.add_all([notification(300 + i, now - timedelta(days=60)) for i in range(25)])
    dbsession.commit()
    first = purge(session_factory, SETTINGS, max_batches=2)[0]
    assert first.batches == [10, 10]
    second = purge(session_factory, SETTINGS, max_batches=2)[0]
    assert second.rows >= 5 and all(b <= 10 for b in second.batches)


def test_the_scheduler_runs_the_purge(app_registry):
    names = {name: seconds for name, _actor, seconds in app_registry.vvs_periodic_tasks}
    assert names["purge_old_rows"] == app_registry.settings["vvs.retention.purge_interval"] == 3600
