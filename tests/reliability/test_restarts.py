"""Two faults in the middle of a 10,000-member fan-out, with the machine loaded: every
notification reaches the provider once after recovery (issue 15, item 5).

1. **Redis restarted without persistence** (a private ``redis-server --save ''
   --appendonly no``, SIGKILLed and started again empty): every queued message is gone —
   the rest of the first alert's deliveries, and the fan-out of a second alert posted just
   before. The outbox's sweeper finds the notification rows, the jobs' reaper the fan-out
   whose lease ran out.
2. **PostgreSQL restarted** (a private cluster, ``pg_ctl stop -m immediate`` then start:
   every connection cut, recovery from the WAL): actors in flight fail; claimed rows wait
   for their claim to time out, the fan-out for its lease.

Real application and workers (``alerts_worker_boot``), the recording provider keeping its
records in a database of the suite's PostgreSQL (another system: it stays up when ours
restarts). The machine's shared PostgreSQL and Redis are never restarted. Without the
server binaries the test is skipped with one line.
"""
from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
import pytest
import sqlalchemy as sa
from services import PostgresCluster, RedisServer
from test_alerts_under_kills import (
    Poster, alerts_database, community_of_members, create_fake_tables, plain, settings_env, throwaway_database,
)
from test_outbox_worker_kill import PG_ADMIN_URL, Worker

from vvs_core.notify.outbox import provider_key

pytestmark = [pytest.mark.redis, pytest.mark.reliability, pytest.mark.slow]

MEMBERS = 10_000
CHANNELS = 2                              # every member has a mobile and an e-mail
PER_ALERT = (MEMBERS - 1) * CHANNELS      # the author is not notified of their own alert
RECOVERY_DEADLINE = 240                   # seconds from the restart to the last delivery
# A longer lease than the kill test's: a 10,000-member fan-out takes seconds on a loaded machine.
SETTINGS = {"VVS_JOBS_LEASE": "20", "VVS_OUTBOX_BATCH_SIZE": "500"}


def query(url: str, sql: str, args=()):
    """One value, on a fresh connection (ours may be down): None while it does not answer."""
    try:
        with psycopg.connect(plain(url), autocommit=True, connect_timeout=3) as conn:
            return conn.execute(sql, args).fetchone()[0]
    except psycopg.OperationalError:
        return None


def sent(url: str) -> int:
    return query(url, "SELECT count(*) FROM notifications WHERE status = 'sent'") or 0


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(1)  # each look counts rows: not too often on a loaded machine


@contextmanager
def running_workers(env, tmp_path, count=2):
    workers = [Worker(env, tmp_path, module="alerts_worker_boot", name=f"r{i}") for i in range(count)]
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.wait_ready()
        yield workers
    finally:
        for w in workers:
            w.stop()


def run_fault(app_url, provider_url, redis_url, tmp_path, fault, record_property, label):
    """Post an alert to MEMBERS; when a fifth of it is sent, post a second one and
    inject ``fault`` at once; then wait until both are delivered and check each
    notification reached the provider exactly once."""
    community_id = community_of_members(app_url, MEMBERS)
    env = {**os.environ, **settings_env(app_url, redis_url, **SETTINGS), "FAKE_PROVIDER_DSN": plain(provider_url)}
    with running_workers(env, tmp_path) as workers:
        poster = Poster(app_url, redis_url)
        try:
            first = poster.post(0, community_id)
            wait_for(lambda: sent(app_url) >= PER_ALERT // 5, 180,
                     f"the first alert is not being delivered:\n{workers[0].logs()[-3000:]}")
            second = poster.post(1, community_id)
        finally:
            poster.close()
        at_fault = sent(app_url)
        fault_at = time.monotonic()
        fault()
        expected = 2 * PER_ALERT
        wait_for(lambda: sent(app_url) >= expected and not query(
                     app_url, "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')"),
                 RECOVERY_DEADLINE,
                 f"{label}: not everything delivered {RECOVERY_DEADLINE} s after the fault: "
                 f"{sent(app_url)} of {expected} sent\n{workers[0].logs()[-3000:]}")
        recovered_in = time.monotonic() - fault_at
    with psycopg.connect(plain(app_url), autocommit=True) as conn:
        by_alert = dict(conn.execute(
            "SELECT subject_id, count(*) FROM notifications WHERE subject_type = 'alert' AND status = 'sent' "
            "GROUP BY subject_id").fetchall())
        jobs = conn.execute("SELECT key, status, attempts FROM jobs ORDER BY key").fetchall()
        keys = {provider_key(SimpleNamespace(dedupe_key=k, nonce=n))  # what the provider was handed
                for k, n in conn.execute("SELECT dedupe_key, nonce FROM notifications")}
    with psycopg.connect(plain(provider_url), autocommit=True) as conn:
        accepted = dict(conn.execute("SELECT key, sends FROM fake_accepted").fetchall())
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("r*.log"))
    stuck_sweeps = len(re.findall(r"sweeper re-enqueued \d+ notifications \([1-9]", logs))
    report = (f"{label}: 2 alerts × {MEMBERS - 1} members × {CHANNELS} channels; fault when {at_fault} of "
              f"{expected} were sent; everything delivered {recovered_in:.1f} s after the fault; "
              f"fan-out jobs (key, status, runs) {[(k, s, a) for k, s, a in jobs]}; "
              f"reaper passes that sent jobs again: {logs.count('jobs: reaper sent')}; "
              f"sweeper passes that re-enqueued stuck rows: {stuck_sweeps}")
    print("\n" + report)
    record_property(label, report)
    assert by_alert == {first: PER_ALERT, second: PER_ALERT}, by_alert
    assert set(accepted) == keys, "a notification did not reach the provider, or something else did"
    assert max(accepted.values()) == 1, {k: n for k, n in accepted.items() if n > 1}
    assert {status for _key, status, _attempts in jobs} == {"done"}


@contextmanager
def provider_database():
    """The fake provider's tables, in a throwaway database of the suite's PostgreSQL."""
    with throwaway_database(PG_ADMIN_URL, "vvs_test_fake_provider") as url:
        create_fake_tables(url)
        yield url


def test_redis_restarted_without_persistence_mid_fan_out(tmp_path, record_property):
    if not RedisServer.available():
        pytest.skip("redis-server is not installed: the Redis restart test needs it (apt install redis-server)")
    redis = RedisServer(tmp_path).start()
    try:
        with alerts_database() as app_url:
            run_fault(app_url, app_url, redis.url, tmp_path, redis.restart, record_property,
                      "Redis restarted without persistence")
    finally:
        redis.stop()


def test_postgresql_restarted_mid_fan_out(tmp_path, redis_url, record_property):
    if not PostgresCluster.available():
        pytest.skip("PostgreSQL server binaries are missing (/usr/lib/postgresql/15/bin): the restart test needs them")
    cluster = PostgresCluster().init().start()
    try:
        with provider_database() as provider_url, alerts_database(sa.make_url(cluster.url()), fake_tables=False) as app_url:
            run_fault(app_url, provider_url, redis_url, tmp_path, cluster.restart, record_property,
                      "PostgreSQL restarted")
    finally:
        cluster.remove()
