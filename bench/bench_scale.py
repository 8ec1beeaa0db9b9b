"""The national benchmark (issue 16.5): the data set of ``bench/national.py`` at
``VVS_BENCH_SCALE`` (``python -m bench bench_scale --scale 1`` for the full size), served
by gunicorn (2 sync workers, PostGIS), with the page cache off then on:

- median and p99 of the main pages for a resident and the référent of the 5,000-member
  community and for the agent of the 150-community commune (``wrk --latency``,
  ``VVS_BENCH_SCALE_CONNECTIONS`` connections, 2 by default: one request at a time per
  gunicorn worker, so the latency is the page's, not a queue's), and of the sign-up
  lookup for a newcomer of that commune;
- the login (the form's POST, for 60 different accounts one after the other), next to the
  cost of verifying one argon2 hash in-process (the floor of a login);
- a fan-out: one alert posted over HTTP to a community of ``VVS_BENCH_FANOUT_MEMBERS``
  (100,000) members, SMS and e-mail handed to the ``null`` providers by two dramatiq worker
  processes × 8 threads, on the national tables (5,000,000 notifications at scale 1).
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time

from .common import Gunicorn, bench_settings, csrf_of, log, login, percentile, psycopg_url, wrk

SCALE = float(os.environ.get("VVS_BENCH_SCALE", "0.1"))
CONNECTIONS = int(os.environ.get("VVS_BENCH_SCALE_CONNECTIONS", "2"))
SECONDS = int(os.environ.get("VVS_BENCH_SCALE_SECONDS", "5"))
FANOUT = int(os.environ.get("VVS_BENCH_FANOUT_MEMBERS", "100000"))
LOGINS = int(os.environ.get("VVS_BENCH_LOGINS", "60"))
# What to measure: any of pages, logins, fanout (all by default); "fanout" alone is the
# fan-out after loading the data set, when only the outbox changed.
PARTS = set(os.environ.get("VVS_BENCH_SCALE_PARTS", "pages,logins,fanout").split(","))
MIN_SAMPLES = 10


def pages(p, month: str) -> list[tuple[str, str, str]]:
    """(name, persona, path) of every page measured."""
    big, insee = p.big_community_id, p.agent_insee
    return [
        ("resident_home", "resident", "/"),
        ("resident_community_alerts", "resident", f"/alertes/communaute/{big}"),
        ("resident_gazette", "resident", f"/gazette/communaute/{big}"),
        ("resident_community", "resident", f"/communaute/{big}"),
        ("resident_inbox", "resident", "/messagerie"),
        ("referent_home", "referent", "/"),
        ("referent_community", "referent", f"/communaute/{big}"),
        ("referent_directory", "referent", f"/communaute/{big}/annuaire"),
        ("referent_requests", "referent", f"/communaute/{big}/demandes"),
        ("referent_history", "referent", f"/communaute/{big}/historique"),
        ("referent_inbox", "referent", "/messagerie"),
        ("referent_conversation", "referent", f"/messagerie/conversation/{p.referent_conversation_id}"),
        ("agent_dashboard", "agent", f"/mairie/{insee}"),
        ("agent_report", "agent", f"/mairie/{insee}/rapport/{month}"),
        ("signup_lookup", "newcomer", "/inscription/communaute"),
        ("signup_lookup_json", "newcomer", "/inscription/communautes.json"),
    ]


def sign_in(base_url: str, p, who: str):
    http = login(base_url, getattr(p, who), p.password)
    if who == "agent":
        import pyotp

        page = http.get(f"{base_url}/mairie/2fa")
        res = http.post(f"{base_url}/mairie/2fa", data={"csrf_token": csrf_of(page.text),
                                                         "code": pyotp.TOTP(p.agent_totp).now()}, allow_redirects=False)
        if res.status_code not in (302, 303):
            raise RuntimeError(f"the agent's second factor answered {res.status_code}")
    return http


def measure_pages(base_url: str, p, sessions: dict, month: str, suffix: str) -> dict:
    out = {}
    for name, who, path in pages(p, month):
        http = sessions[who]
        res = http.get(base_url + path, allow_redirects=False)
        if res.status_code != 200:
            log(f"scale: {name} {path} answered {res.status_code}: not measured")
            out[f"scale_{name}{suffix}_status"] = res.status_code
            continue
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        headers = {"Cookie": cookie}
        wrk(base_url + path, 1, headers, CONNECTIONS)
        sample = wrk(base_url + path, SECONDS, headers, CONNECTIONS)
        if sample["non2xx"] or sample["socket_errors"]:
            raise RuntimeError(f"{path}: {sample['non2xx']} answers not 2xx/3xx, {sample['socket_errors']} lost")
        if sample["requests"] < MIN_SAMPLES:  # a slow page: time it one request after the other
            sample = sequential(http, base_url + path)
        out[f"scale_{name}{suffix}_p50_ms"] = round(sample["p50_ms"], 1)
        out[f"scale_{name}{suffix}_p99_ms"] = round(sample["p99_ms"], 1)
        out[f"scale_{name}{suffix}_rps"] = round(sample["rps"], 1)
        out[f"scale_{name}_bytes"] = len(res.content)
        log(f"scale{suffix or ' (cache off)'}: {name}: p50 {sample['p50_ms']:.1f} ms, p99 {sample['p99_ms']:.1f} ms, "
            f"{sample['rps']:.1f} req/s, {len(res.content):,} bytes")
    return out


def sequential(http, url: str) -> dict:
    times = []
    for _ in range(MIN_SAMPLES):
        t0 = time.perf_counter()
        res = http.get(url, allow_redirects=False)
        times.append((time.perf_counter() - t0) * 1000)
        if res.status_code != 200:
            raise RuntimeError(f"{url} answered {res.status_code}")
    return {"p50_ms": statistics.median(times), "p99_ms": percentile(times, 99),
            "rps": 1000 / statistics.mean(times), "requests": len(times)}


def measure_logins(base_url: str, p, count: int) -> dict:
    import requests
    from argon2 import PasswordHasher

    users = p.counts["users"]
    times = []
    for i in range(count):
        email = f"u{1000 + i * (users - 1000) // count if users > 2000 else 10 + i}@national.test"
        http = requests.Session()
        token = csrf_of(http.get(f"{base_url}/connexion").text)
        t0 = time.perf_counter()
        res = http.post(f"{base_url}/connexion", data={"csrf_token": token, "email": email, "password": p.password,
                                                         "submit": "submit"}, allow_redirects=False)
        times.append((time.perf_counter() - t0) * 1000)
        if res.status_code not in (302, 303):
            raise RuntimeError(f"login of {email} answered {res.status_code}")
    from .national import HASH_PARAMETERS

    hasher = PasswordHasher(**HASH_PARAMETERS)  # the server's default cost (vvs.password_hash.*)
    digest = hasher.hash(p.password)
    hashes = []
    for _ in range(20):
        t0 = time.perf_counter()
        hasher.verify(digest, p.password)
        hashes.append((time.perf_counter() - t0) * 1000)
    result = {"scale_login_p50_ms": round(statistics.median(times), 1),
              "scale_login_p99_ms": round(percentile(times, 99), 1),
              "scale_login_hash_ms": round(statistics.median(hashes), 1)}
    log(f"scale: login {result}")
    return result


def fanout(db_url: str, base_url: str, settings: dict, p) -> dict:
    """One alert to a community of min(FANOUT, users) members (SMS + e-mail each)."""
    import psycopg

    from .bench_fanout import flush_redis, last_notification_id, post_alert, start_workers, wait_delivered
    from .common import PYTHONPATH, ROOT

    members = min(FANOUT, p.counts["users"])
    author = "auteur.metropole@national.test"
    with psycopg.connect(psycopg_url(db_url)) as conn:
        # A commune-wide community over commune 2, every one of its members among the first users.
        boundary = conn.execute("SELECT ST_AsEWKT(boundary) FROM communes WHERE id = 2").fetchone()[0]
        cid = conn.execute("INSERT INTO communities (commune_id, name, description, address_label, boundary, "
                           "validation_mode, created_at, boundary_changed_at) VALUES (2, 'Métropole « tous »', '', '', "
                           "ST_GeomFromEWKT(%s), 'referent', now(), now()) RETURNING id", (boundary,)).fetchone()[0]
        # The author's first (and only) membership is this community: alerts go there.
        conn.execute("INSERT INTO users (email, password_hash, first_name, last_name, pseudonym, mobile, hide_mobile, "
                     "hide_landline, address_label, presentation, newsletter, locale, is_admin, is_moderator, status, "
                     "session_epoch, created_at, email_confirmed_at) SELECT %s, password_hash, 'Aurélie', 'Métropole', "
                     "'aurelie', '+33700000002', false, false, '', '', false, 'fr', false, false, 'active', 0, now(), "
                     "now() FROM users WHERE id = 1", (author,))
        conn.execute("INSERT INTO memberships (user_id, community_id, role, status, requested_at, decided_at, "
                     "decision_reason) SELECT id, %s, 'member', 'active', now(), now(), '' FROM users "
                     "WHERE email = %s", (cid, author))
        conn.execute("INSERT INTO memberships (user_id, community_id, role, status, requested_at, decided_at, "
                     "decision_reason) SELECT id, %s, 'member', 'active', now(), now(), '' FROM users "
                     "WHERE id < %s", (cid, members))
        conn.commit()
    flush_redis()
    env = {**os.environ, "VVS_BENCH_SETTINGS": json.dumps(settings), "PYTHONPATH": PYTHONPATH}
    workers = start_workers(env)
    # As in production (docs/deploy.md): the scheduler sends the periodic tasks, among
    # them the outbox's sweeper and the reaper of leased jobs (the fan-out is one).
    scheduler = subprocess.Popen([sys.executable, "-m", "bench.scheduler_boot"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        after = last_notification_id(db_url)
        t0 = post_alert(base_url, email=author, password=p.password)
        per_channel = wait_delivered(db_url, 2 * (members - 1), after, timeout=900)
    finally:
        for process in (scheduler, workers):
            process.terminate()
        for process in (scheduler, workers):
            process.wait(60)
    total = max(last for _n, last in per_channel.values()) - t0
    count = sum(n for n, _last in per_channel.values())
    log(f"scale: fan-out to {members:,} members: {total:.1f} s, {count:,} notifications")
    return {f"scale_fanout_{members}_s": round(total, 1), "scale_fanout_members": members,
            "scale_fanout_notifications_per_s": round(count / total)}


def run(db_url: str) -> dict:
    from vvs_core.testing import TEST_SECRET

    from .national import generate

    load_before = os.getloadavg()[0]
    p = generate(db_url, SCALE, secret=TEST_SECRET, log=log)
    results = {"scale_factor": SCALE, "scale_users": p.counts["users"], "scale_load_s": p.seconds,
               "scale_connections": CONNECTIONS, "scale_big_members": p.big_members,
               "scale_agent_communities": p.agent_communities}
    month = time.strftime("%Y-%m", time.gmtime())
    extra = {"vvs.ratelimit.login": "100000/60", "vvs.sms.provider": "null", "vvs.email.provider": "null",
             "vvs.alerts.max_per_hour": "100"}
    uncached = bench_settings(db_url, **{**extra, "vvs.cache_url": "none"})
    with Gunicorn("bench.wsgi:app", {"VVS_BENCH_SETTINGS": json.dumps(uncached)}) as server:
        # Signed in once: the sessions live in the database, valid for the second server too
        # (and a second factor's code may not be used twice).
        sessions = {who: sign_in(server.url, p, who) for who in ("resident", "referent", "agent", "newcomer")}
        if "pages" in PARTS:
            results.update(measure_pages(server.url, p, sessions, month, ""))
        if "logins" in PARTS:
            results.update(measure_logins(server.url, p, LOGINS))
        if "fanout" in PARTS:  # the outbox's figure is taken with the page cache off
            results["scale_fanout_loadavg_start"] = round(os.getloadavg()[0], 1)
            results.update(fanout(db_url, server.url, uncached, p))
            results["scale_fanout_loadavg_end"] = round(os.getloadavg()[0], 1)
    if "pages" in PARTS:
        cached = bench_settings(db_url, **extra)
        with Gunicorn("bench.wsgi:app", {"VVS_BENCH_SETTINGS": json.dumps(cached)}) as server:
            results.update(measure_pages(server.url, p, sessions, month, "_cached"))
    results["scale_loadavg"] = round(max(load_before, os.getloadavg()[0]), 1)
    return results
