"""One alert to a community of 10,000 members: seconds from the POST to the last
notification handed to the provider, per channel (PostGIS, Redis, two worker
processes × 8 threads, a provider that accepts instantly); and the ceiling measured
in the same run: no-op dramatiq messages/s through the same broker and workers. Three
alerts one after the other (VVS_BENCH_RUNS), the median kept."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import requests

from .common import PYTHONPATH, REDIS_URL, ROOT, RUNS, Gunicorn, bench_settings, log, login, psycopg_url, serris_community

MEMBERS = 10_000
AUTHOR, PASSWORD = "bench.author@example.test", "un voisin attentif 2026"
NOOP_MESSAGES = 20_000


def prepare(db_url: str) -> None:
    import psycopg

    from vvs_core.models import Membership, User
    from vvs_core.accounts.security import hash_password

    engine, session, _commune, community = serris_community(db_url, "Grand quartier", 900)
    author = User(email=AUTHOR, password_hash=hash_password(PASSWORD), first_name="Alex", last_name="Auteur",
                  pseudonym="alex", mobile="+33612000000", email_confirmed_at=None)
    session.add(author)
    session.flush()
    session.add(Membership(user_id=author.id, community_id=community.id, status="active"))
    session.commit()
    community_id = community.id
    engine.dispose()
    with psycopg.connect(psycopg_url(db_url)) as conn:
        with conn.cursor().copy("COPY users (email, first_name, last_name, pseudonym, mobile, hide_mobile, "
                                "hide_landline, address_label, presentation, newsletter, locale, is_admin, "
                                "is_moderator, status, session_epoch, created_at) FROM STDIN") as copy:
            for i in range(MEMBERS):
                copy.write_row((f"m{i}@example.test", f"M{i}", "Voisin", f"m{i}", f"+3361{i:07d}", False, False,
                                "", "", False, "fr", False, False, "active", 0, "2026-01-01"))
        conn.execute("INSERT INTO memberships (user_id, community_id, role, status, requested_at, decision_reason) "
                     "SELECT id, %s, 'member', 'active', now(), '' FROM users WHERE email LIKE 'm%%@example.test'",
                     (community_id,))
        conn.commit()


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_workers(env, processes: int = 2, timeout: float = 180):
    """Two dramatiq worker processes × 8 threads, returned once both have built the
    application and consume messages: a measurement must not include their start-up
    (production's workers are running when an alert is posted)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*client.keys("bench_worker_ready:*") or ["bench_worker_ready:none"])
    cmd = [sys.executable, "-m", "dramatiq", "bench.worker_boot", "--processes", str(processes), "--threads", "8"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while len(client.keys("bench_worker_ready:*")) < processes:
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"the {processes} worker processes were not ready in {timeout} s")
        time.sleep(0.2)
    # Their consumers run: a few no-op messages go through (each process's first one).
    import dramatiq

    from vvs_core.jobs.tasks import configure_broker

    configure_broker({"vvs.broker_url": REDIS_URL})
    from . import noop

    noop.noop.broker = dramatiq.get_broker()
    dramatiq.get_broker().declare_actor(noop.noop)
    for i in range(32):
        noop.noop.send(i)
    while client.hlen("dramatiq:bench_noop.msgs") or client.llen("dramatiq:bench_noop"):
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError("the worker processes consume no message")
        time.sleep(0.1)
    return proc


def post_alert(base_url: str, run: int = 0, email: str = AUTHOR, password: str = PASSWORD) -> float:
    """Post an alert as ``email`` (to their first community); the time of the POST."""
    http = login(base_url, email, password)
    form = http.get(f"{base_url}/alertes/nouvelle").text
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    fields.update({"category": "demarchage", "text": f"Faux agent des eaux rue Émile Cloud, 14 h, voiture grise (n° {run + 1}).",
                   "severity": "moderate", "expiry_hours": "6", "submit": "submit"})
    t0 = time.time()
    res = http.post(f"{base_url}/alertes/nouvelle", data=fields, allow_redirects=False)
    if res.status_code not in (302, 303):
        raise RuntimeError(f"posting the alert failed: {res.status_code} {res.text[:500]}")
    return t0


def last_notification_id(db_url: str) -> int:
    import psycopg

    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM notifications").fetchone()[0]


def wait_delivered(db_url: str, expected: int, after_id: int = 0, timeout: float = 120) -> dict:
    import psycopg

    deadline = time.time() + timeout
    with psycopg.connect(psycopg_url(db_url), autocommit=True) as conn:
        while time.time() < deadline:
            rows = conn.execute("SELECT channel, count(*), max(extract(epoch FROM sent_at))::float FROM notifications "
                                "WHERE kind = 'alert' AND id > %s AND status IN ('sent', 'delivered') GROUP BY channel",
                                (after_id,)).fetchall()
            done = sum(r[1] for r in rows)
            if done >= expected:
                return {r[0]: (r[1], r[2]) for r in rows}
            # The figure is the rows' own last sent_at, not when this loop sees it: polling
            # every 50 ms counted 200,000 rows 20 times a second, one of the 2 cores' worth
            # of PostgreSQL taken from the fan-out it measures.
            time.sleep(1 if expected > 50_000 else 0.05)
    raise RuntimeError(f"only {done} of {expected} notifications were handed to the provider in {timeout} s")


def noop_ceiling() -> float:
    import dramatiq
    import redis

    from vvs_core.jobs.tasks import configure_broker

    configure_broker({"vvs.broker_url": REDIS_URL})
    from . import noop

    noop.noop.broker = dramatiq.get_broker()
    dramatiq.get_broker().declare_actor(noop.noop)
    client = redis.Redis.from_url(REDIS_URL)
    t0 = time.time()
    for i in range(NOOP_MESSAGES):
        noop.noop.send(i)
    while client.hlen("dramatiq:bench_noop.msgs") or client.llen("dramatiq:bench_noop"):
        time.sleep(0.02)
    return NOOP_MESSAGES / (time.time() - t0)


def run(db_url: str) -> dict:
    prepare(db_url)
    flush_redis()
    settings = bench_settings(db_url, **{"vvs.sms.provider": "null", "vvs.email.provider": "null",
                                          "vvs.alerts.max_per_hour": "100"})
    env = {**os.environ, "VVS_BENCH_SETTINGS": json.dumps(settings), "PYTHONPATH": PYTHONPATH}
    workers = start_workers(env)
    try:
        runs = []
        with Gunicorn("bench.wsgi:app", {"VVS_BENCH_SETTINGS": json.dumps(settings)}) as server:
            for n in range(RUNS):  # one alert after the other; the median run is kept
                after = last_notification_id(db_url)
                t0 = post_alert(server.url, n)
                # every member but the author, by SMS and e-mail
                per_channel = wait_delivered(db_url, 2 * MEMBERS, after)
                runs.append((max(last for _n, last in per_channel.values()) - t0, t0, per_channel))
                log(f"fan-out run {n + 1}: {runs[-1][0]:.2f} s")
        total, t0, per_channel = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        count = sum(n for n, _last in per_channel.values())
        ceiling = noop_ceiling()
    finally:
        workers.terminate()
        workers.wait(30)
    result = {
        "fanout_10000_s": round(total, 2),
        "fanout_notifications_per_s": round(count / total),
        "noop_messages_per_s": round(ceiling),
        "fanout_ratio_to_noop": round(count / total / ceiling, 2),
    }
    for channel, (n, last) in per_channel.items():
        result[f"fanout_10000_{channel}_s"] = round(last - t0, 2)
    log(f"fan-out: {result}")
    return result
