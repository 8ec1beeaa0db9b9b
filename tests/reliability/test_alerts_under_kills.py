"""Alerts always arrive, exactly once (issue: "Alerts that always arrive").

Real Redis broker, two dramatiq worker processes running the real application with
vvs_alerts, a recording fake of the provider that counts what it accepts.

1. 200 alerts to a community of 500 members, SMS and e-mail, while a worker is
   SIGKILLed every couple of seconds and restarted: afterwards every (alert, member,
   channel) reached the provider exactly once and nothing is left pending. Reports the
   worst time from a kill to the end of what was in flight at that moment (the rows
   being sent and the fan-out jobs running).
2. The provider fails 30 % of the messages, then is down for a while: everything is
   delivered after it recovers, nothing twice, and nothing of an alert after its expiry.
"""
from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa
from pg_databases import insert_serris_community, plain  # noqa: F401  (plain: for test_restarts too)
from test_outbox_worker_kill import PG_ADMIN_URL, Worker

from vvs_core.clock import utcnow

pytestmark = [pytest.mark.redis, pytest.mark.reliability, pytest.mark.slow]

MEMBERS = 500
KILL_EVERY = 2  # seconds between two kills, at least
# Each worker as `vvs worker` starts it by default (2 processes × 4 threads), as the
# deployment guide advises (two processes per core): killing one kills both processes.
WORKER_PROCESSES = 2
FAKE_TABLES = [
    "CREATE TABLE fake_accepted (key text PRIMARY KEY, sends integer NOT NULL, at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE fake_provider_mode (failure_rate real NOT NULL, down boolean NOT NULL)",
    "INSERT INTO fake_provider_mode VALUES (0, false)",
]


@contextmanager
def throwaway_database(admin_url, prefix: str):
    """A new database on the server of ``admin_url``, dropped afterwards."""
    # pre-ping: the server may have been restarted since (test_restarts.py)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def alerts_database(admin_url=PG_ADMIN_URL, fake_tables=True):
    """A throwaway database on the server of ``admin_url``, migrated for vvs_alerts (and
    holding the fake provider's tables unless they live elsewhere)."""
    from vvs_core.models.migrate import upgrade

    with throwaway_database(admin_url, "vvs_test_alerts_kill") as url:
        with psycopg.connect(plain(url), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        upgrade(url, ["vvs_alerts"])
        if fake_tables:
            create_fake_tables(url)
        yield url


def create_fake_tables(url: str) -> None:
    with psycopg.connect(plain(url), autocommit=True) as conn:
        for statement in FAKE_TABLES:
            conn.execute(statement)


@pytest.fixture
def alerts_db():
    with alerts_database() as url:
        yield url


def settings_env(url: str, redis_url: str, **overrides) -> dict:
    """Short leases and frequent passes: the bounds under test are seconds, not minutes."""
    return {**{"VVS_DATABASE_URL": url, "VVS_BROKER_URL": redis_url, "VVS_SECRET": "alerts-kill-test-" + "s" * 32,
            "VVS_OUTBOX_CLAIM_TIMEOUT": "15", "VVS_OUTBOX_SWEEP_INTERVAL": "1", "VVS_OUTBOX_RETRY_BACKOFF": "1",
            "VVS_OUTBOX_MAX_ATTEMPTS": "100", "VVS_OUTBOX_BATCH_SIZE": "500", "VVS_ALERTS_MAX_PER_HOUR": "10000",
            "VVS_JOBS_LEASE": "10", "VVS_JOBS_REAP_INTERVAL": "1", "VVS_JOBS_MAX_ATTEMPTS": "100"}, **overrides}


def community_of_members(url: str, members: int = MEMBERS) -> int:
    """A commune, a community and ``members`` active members with a mobile and an e-mail."""
    from vvs_core.geo import square_around

    boundary = square_around((2.7861, 48.8453), 900).wkt
    with psycopg.connect(plain(url)) as conn:
        community_id = insert_serris_community(conn, "Grand quartier", boundary)
        with conn.cursor().copy("COPY users (email, first_name, last_name, pseudonym, mobile, status, "
                                "created_at) FROM STDIN") as copy:
            for i in range(members):
                copy.write_row((f"m{i}@example.test", f"M{i}", "Voisin", f"m{i}", f"+336{i:08d}", "active",
                                "2026-01-01"))
        conn.execute("INSERT INTO memberships (user_id, community_id, role, status, requested_at) "
                     "SELECT id, %s, 'member', 'active', now() FROM users", (community_id,))
        conn.commit()
    return community_id


class Poster:
    """Posts alerts through vvs_alerts' own service, in the test process, on the same
    Redis broker (fan-out messages are sent after each commit)."""

    def __init__(self, url: str, redis_url: str):
        import dramatiq

        from vvs_core import make_config
        from vvs_core.jobs import tasks

        self.saved_broker = dramatiq.broker.global_broker
        env = settings_env(url, redis_url)
        raw = {"vvs.plugins": "vvs_dev_providers vvs_alerts", "vvs.email.folder": os.environ.get("TMPDIR", "/tmp")}
        previous = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            self.registry = make_config(raw).make_wsgi_app().registry
        finally:
            for k, v in previous.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.tasks = tasks

    def post(self, n: int, community_id: int, expires_in: timedelta | None = None) -> int:
        from vvs_alerts.posting import post_alert
        from vvs_core.models import Community, User

        with self.tasks.task_request(self.registry) as request:
            db = request.dbsession
            author = db.scalar(sa.select(User).where(User.email == "m0@example.test"))
            alert, _ = post_alert(request, author, db.get(Community, community_id), category="demarchage",
                                  text=f"Alerte n° {n} : faux agent des eaux rue Émile Cloud, voiture grise.",
                                  idempotency_key=f"kill-test-{n}")
            if expires_in is not None:
                alert.expires_at = utcnow() + expires_in
            return alert.id

    def close(self):
        self.tasks.use_broker(self.saved_broker)


def counts(conn) -> dict:
    return dict(conn.execute("SELECT status, count(*) FROM notifications WHERE kind = 'alert' "
                             "GROUP BY status").fetchall())


def sent_count(conn) -> int:
    """Through the (status, next_attempt_at) index: polling must not read the whole table
    every second on a machine whose disk and CPU are shared."""
    return conn.execute("SELECT count(*) FROM notifications WHERE status = 'sent'").fetchone()[0]


def wait_until_settled(conn, expected_total: int, deadline: float) -> dict:
    while time.monotonic() < deadline:
        if sent_count(conn) >= expected_total and not conn.execute(
                "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')").fetchone()[0]:
            break
        time.sleep(1)
    return counts(conn)


def test_200_alerts_to_500_members_while_workers_are_killed(alerts_db, redis_url, tmp_path, record_property):
    community_id = community_of_members(alerts_db)
    env = {**os.environ, **settings_env(alerts_db, redis_url)}
    workers = [Worker(env, tmp_path, module="alerts_worker_boot", name=f"w{i}", processes=WORKER_PROCESSES)
               for i in range(2)]
    for w in workers:
        w.start()
    poster = Poster(alerts_db, redis_url)
    expected = 200 * (MEMBERS - 1) * 2  # the author is not notified of their own alert
    recoveries, fan_out_recoveries = [], []
    try:
        for w in workers:
            w.wait_ready()
        for n in range(200):
            poster.post(n, community_id)
        conn = psycopg.connect(plain(alerts_db), autocommit=True)
        kills, turn, start, last_kill = [], 0, time.monotonic(), 0.0
        while time.monotonic() - start < 120:
            # The next victim is killed once the supervisor's restart of the last one has
            # booted and KILL_EVERY seconds have passed since the last kill: one worker down
            # at a time. On a loaded machine a boot takes longer than KILL_EVERY (10-20 s
            # with other suites running): killing the survivor while the last victim still
            # boots left no worker consuming at all, and killing a worker that never
            # consumed tests nothing.
            victim = workers[turn % 2]
            for w in workers:
                w.wait_ready()
            time.sleep(max(0.0, KILL_EVERY - (time.monotonic() - last_kill)))  # the kills' cadence
            if sent_count(conn) >= expected * 0.9:
                break
            in_flight = [r[0] for r in conn.execute("SELECT id FROM notifications WHERE status = 'sending'")]
            fanning_out = [r[0] for r in conn.execute("SELECT key FROM jobs WHERE status = 'running'")]
            last_kill = killed_at = time.monotonic()
            victim.kill()
            victim.start()
            kills.append((killed_at, in_flight, fanning_out))
            turn += 1
        settled = wait_until_settled(conn, expected, time.monotonic() + 150)
        # From each kill to the end of what was in flight then: the rows being sent and
        # the fan-outs running (the victim's among them); never finished counts as forever.
        for killed_at, in_flight, fanning_out in kills:
            kill_wall = utcnow() - timedelta(seconds=time.monotonic() - killed_at)
            if in_flight:
                last, missing = conn.execute("SELECT max(sent_at), count(*) FILTER (WHERE sent_at IS NULL) "
                                             "FROM notifications WHERE id = ANY(%s)", (in_flight,)).fetchone()
                recoveries.append(float("inf") if missing else (last - kill_wall).total_seconds())
            if fanning_out:
                last, missing = conn.execute("SELECT max(finished_at), count(*) FILTER (WHERE status <> 'done') "
                                             "FROM jobs WHERE key = ANY(%s)", (fanning_out,)).fetchone()
                fan_out_recoveries.append(float("inf") if missing else (last - kill_wall).total_seconds())
        accepted = conn.execute("SELECT count(*), coalesce(max(sends), 0), coalesce(sum(sends), 0) "
                                "FROM fake_accepted").fetchone()
        orphans = conn.execute("SELECT count(*) FROM notifications n LEFT JOIN fake_accepted f ON f.key = n.dedupe_key || '~' || n.nonce "
                               "WHERE n.kind = 'alert' AND f.key IS NULL").fetchone()[0]
    finally:  # the workers first: a process left behind would run on after the suite
        for w in workers:
            w.stop()
        poster.close()
    worst = max(recoveries + fan_out_recoveries, default=0.0)
    record_property("kills", len(kills))
    record_property("worst_kill_to_redelivery_s", round(worst, 1))
    print(f"\n{len(kills)} kills ({sum(1 for k in kills if k[1])} with rows being sent, "
          f"{sum(1 for k in kills if k[2])} with fan-outs running); worst time from a kill to the end of what "
          f"was in flight: rows {max(recoveries, default=0.0):.1f} s, fan-outs {max(fan_out_recoveries, default=0.0):.1f} s")
    assert len(kills) >= 3, "the workers were not killed during the delivery"
    assert settled == {"sent": expected}, (settled, workers[0].logs()[-2000:])
    assert accepted[0] == expected and accepted[1] == 1 and accepted[2] == expected, accepted
    assert orphans == 0
    assert worst < 90


def wait_for(conn, sql: str, timeout: float, what: str, args=()):
    deadline = time.monotonic() + timeout
    while not conn.execute(sql, args).fetchone()[0]:
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def test_flaky_then_down_provider_delivers_everything_once_and_nothing_after_expiry(alerts_db, redis_url, tmp_path):
    community_id = community_of_members(alerts_db)
    env = {**os.environ, **settings_env(alerts_db, redis_url)}
    workers = [Worker(env, tmp_path, module="alerts_worker_boot", name=f"f{i}") for i in range(2)]
    conn = psycopg.connect(plain(alerts_db), autocommit=True)
    conn.execute("UPDATE fake_provider_mode SET failure_rate = 0.3, down = false")
    for w in workers:
        w.start()
    poster = Poster(alerts_db, redis_url)
    try:
        for w in workers:
            w.wait_ready()
        ids = [poster.post(n, community_id) for n in range(10)]
        wait_for(conn, "SELECT count(*) >= 1000 FROM notifications WHERE status = 'sent'", 120,
                 "the flaky provider took nothing")
        conn.execute("UPDATE fake_provider_mode SET down = true")
        short = poster.post(99, community_id, expires_in=timedelta(seconds=6))  # expires while the provider is down
        # Down until the short alert has expired and the outbox has met the outage again.
        wait_for(conn, "SELECT now() > (SELECT expires_at + interval '1 second' FROM alerts WHERE id = %s) "
                 "AND (SELECT count(*) FROM notifications WHERE last_error LIKE '%%indisponible%%') > 0", 120,
                 "the outage was never met", (short,))
        conn.execute("UPDATE fake_provider_mode SET failure_rate = 0, down = false")
        recovered_at = utcnow()
        expected = 10 * (MEMBERS - 1) * 2
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            # Done when every row of the ten alerts is sent (their fan-out may still be
            # running at first) and nothing else waits.
            sent = conn.execute("SELECT count(*) FROM notifications WHERE subject_type = 'alert' "
                                "AND subject_id = ANY(%s) AND status = 'sent'", (ids,)).fetchone()[0]
            left = conn.execute("SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')").fetchone()[0]
            if sent >= expected and not left:
                break
            time.sleep(0.5)
        by_alert = dict(conn.execute(
            "SELECT subject_id, count(*) FILTER (WHERE status = 'sent') FROM notifications "
            "WHERE subject_type = 'alert' GROUP BY subject_id").fetchall())
        expires_at = conn.execute("SELECT expires_at FROM alerts WHERE id = %s", (short,)).fetchone()[0]
        late = conn.execute("SELECT count(*) FROM fake_accepted f JOIN notifications n ON f.key = n.dedupe_key || '~' || n.nonce "
                            "WHERE n.subject_id = %s AND f.at > %s", (short, expires_at)).fetchone()[0]
        statuses_short = dict(conn.execute("SELECT status, count(*) FROM notifications WHERE subject_id = %s "
                                           "AND subject_type = 'alert' GROUP BY status", (short,)).fetchall())
        twice = conn.execute("SELECT count(*) FROM fake_accepted WHERE sends > 1").fetchone()[0]
    finally:  # the workers first: a process left behind would run on after the suite
        for w in workers:
            w.stop()
        poster.close()
    assert sum(by_alert.get(i, 0) for i in ids) == expected, by_alert
    assert twice == 0
    assert late == 0, "a notification of an expired alert reached the provider"
    assert statuses_short.get("cancelled", 0) > 0 and not statuses_short.get("pending"), statuses_short
    assert utcnow() - recovered_at < timedelta(seconds=120)
