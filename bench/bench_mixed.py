"""Mixed load (issue 15.6): 32 connections for 60 s of what residents, référents and a
mairie's agents do together — pages, alerts posted, messages, gazette posts, API reads —
on the national data set at ``VVS_BENCH_MIXED_SCALE`` (0.01: 10,000 users), PostGIS,
gunicorn (2 workers × 4 threads, as ``production.ini``) and two dramatiq worker processes
delivering what is posted (``null`` providers). Every answer must be 2xx or 3xx.

The load client is one asyncio process (aiohttp), 32 virtual users, each signed in with
its own session, choosing its next action at random by the weights of ``ACTIONS`` (seeded).
Its own ceiling is measured in the same run: the same client on the hello-world view.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import time

from .common import (PYTHONPATH, REDIS_URL, Gunicorn, bench_settings, csrf_of, fill_form, form_fields, log, login,
                     percentile, psycopg_url)

SCALE = float(os.environ.get("VVS_BENCH_MIXED_SCALE", "0.01"))
SECONDS = int(os.environ.get("VVS_BENCH_MIXED_SECONDS", "60"))
CONNECTIONS = 32
RESIDENTS, REFERENTS, AGENTS = 24, 4, 4

# (action, weight) for each kind of user.
ACTIONS = {
    "resident": [("home", 20), ("community_alerts", 16), ("gazette", 14), ("community", 8),
                 ("inbox", 6), ("conversation", 5), ("api_alerts", 8), ("api_me", 4), ("api_notifications", 3),
                 ("post_alert", 2), ("post_message", 5), ("post_gazette", 3)],
    "referent": [("home", 10), ("community", 10), ("directory", 4), ("requests", 4), ("history", 4),
                 ("gazette", 6), ("inbox", 4), ("api_directory", 3)],
    "agent": [("agent_dashboard", 10), ("agent_report", 3), ("agent_activity", 5), ("home", 3)],
}


def prepare(db_url: str):
    """The data set, plus: the mairie's agent, a conversation for each resident."""
    import psycopg

    from vvs_core.testing import TEST_SECRET

    from .national import generate

    p = generate(db_url, SCALE, seed=2027, secret=TEST_SECRET, log=log)
    n_communities, big = p.counts["communities"], p.big_members
    # After the big community, user big + k - 1 is the référent of community k (k ≥ 2)
    # and the next ones its members: residents of communities 2…25, in the agent's commune.
    referents = [big + k - 1 for k in range(2, 2 + REFERENTS)]
    residents = [big + n_communities - 1 + j for j in range(RESIDENTS)]
    conversations = {}
    with psycopg.connect(psycopg_url(db_url)) as conn:
        for uid in residents:
            cid = conn.execute("INSERT INTO msg_conversations (subject, created_by_id, created_at, last_message_at) "
                               "VALUES ('Le vide-grenier de dimanche', %s, now(), now()) RETURNING id",
                               (uid,)).fetchone()[0]
            neighbour = uid + n_communities - 1  # same community (users go round the communities)
            conn.execute("INSERT INTO msg_participants (conversation_id, user_id) VALUES (%s, %s), (%s, %s)",
                         (cid, uid, cid, neighbour))
            conversations[uid] = cid
        community_of = dict(conn.execute("SELECT user_id, community_id FROM memberships WHERE user_id = ANY(%s) "
                                         "AND status = 'active'",
                                         (residents + referents,)).fetchall())
        conn.commit()
    return p, residents, referents, conversations, community_of


class Client:
    """One virtual user: its session's cookies, its kind, its pages."""

    def __init__(self, kind: str, cookies: dict, paths: dict):
        self.kind, self.cookies, self.paths = kind, cookies, paths


async def _request(http, method, url, **kw):
    async with http.request(method, url, allow_redirects=False, **kw) as res:
        body = await res.read()
        return res.status, body.decode("utf-8", "replace")


async def act(http, base: str, client: Client, action: str, n: int) -> list[tuple[str, float, int]]:
    """Run one action; (name, ms, status) of each request it made."""
    out = []

    async def timed(name, method, path, **kw):
        t0 = time.perf_counter()
        status, text = await _request(http, method, base + path, **kw)
        out.append((name, (time.perf_counter() - t0) * 1000, status))
        return status, text

    p = client.paths
    if action == "post_alert":
        _s, form = await timed("alert_form", "GET", "/alertes/nouvelle")
        fields = fill_form(form_fields(form, "alerte"), category="demarchage", severity="moderate", expiry_hours="6",
                           text=f"Démarcheur insistant « agent des eaux » rue de l’Église, n°{n} 🚨", submit="submit")
        await timed("post_alert", "POST", "/alertes/nouvelle", data=fields)
    elif action == "post_message":
        _s, page = await timed("conversation", "GET", p["conversation"])
        fields = fill_form(form_fields(page, "reply"), text=f"D’accord pour dimanche, je passe à 10 h 😊 ({n})",
                           submit="submit")
        await timed("post_message", "POST", p["conversation"], data=fields)
    elif action == "post_gazette":
        _s, form = await timed("gazette_form", "GET", p["gazette_new"])
        fields = fill_form(form_fields(form, "gazette-post"), category="pret_don", title=f"Prête perceuse n°{n}",
                           text="Perceuse à percussion, à rendre sous huit jours — merci ! 🔧", submit="submit")
        await timed("post_gazette", "POST", p["gazette_new"], data=fields)
    else:
        await timed(action, "GET", p[action])
    return out


async def virtual_user(base: str, client: Client, rng: random.Random, deadline: float, samples: list, errors: list):
    import aiohttp

    names, weights = zip(*ACTIONS[client.kind])
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, cookies=client.cookies,
                                     timeout=aiohttp.ClientTimeout(total=60)) as http:
        n = 0
        while time.monotonic() < deadline:
            action = rng.choices(names, weights)[0]
            n += 1
            try:
                for name, ms, status in await act(http, base, client, action, n):
                    samples.append((client.kind, name, ms, status))
                    if status >= 400:
                        errors.append(f"{client.kind} {name}: {status}")
            except Exception as exc:  # a connection error or a timeout is an error too
                errors.append(f"{client.kind} {action}: {exc!r}")


async def load(base: str, clients: list[Client], seconds: float, seed: int = 2027):
    samples, errors = [], []
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(virtual_user(base, c, random.Random(seed + i), deadline, samples, errors)
                           for i, c in enumerate(clients)))
    return samples, errors


async def warm(base: str, clients: list[Client]) -> list[str]:
    """Each client opens each of its pages once (templates compiled, caches filled):
    what answers other than 2xx/3xx."""
    import aiohttp

    async def one(client):
        bad = []
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), cookies=client.cookies,
                                         timeout=aiohttp.ClientTimeout(total=300)) as http:
            for path in client.paths.values():
                status, _text = await _request(http, "GET", base + path)
                if status >= 400:
                    bad.append(f"{client.kind} {path}: {status}")
        return bad

    return [line for bad in await asyncio.gather(*(one(c) for c in clients)) for line in bad]


async def ceiling(base: str, seconds: float) -> float:
    """The client's own ceiling: the same client, 32 connections, on the hello-world view."""
    hello = Client("hello", {}, {"hello": "/bench/hello"})
    ACTIONS["hello"] = [("hello", 1)]
    samples, errors = await load(base, [hello] * CONNECTIONS, seconds)
    if errors:
        raise RuntimeError(f"hello: {errors[:3]}")
    return len(samples) / seconds


def run(db_url: str) -> dict:
    import pyotp

    from .bench_fanout import flush_redis, start_workers

    p, residents, referents, conversations, community_of = prepare(db_url)
    month = time.strftime("%Y-%m", time.gmtime())
    settings = bench_settings(db_url, **{"vvs.ratelimit.login": "100000/60", "vvs.sms.provider": "null",
                                         "vvs.email.provider": "null", "vvs.alerts.max_per_hour": "100000",
                                         "vvs.ratelimit_url": REDIS_URL})
    flush_redis()
    env = {**os.environ, "VVS_BENCH_SETTINGS": json.dumps(settings), "PYTHONPATH": PYTHONPATH}
    workers = start_workers(env)
    try:
        with Gunicorn("bench.wsgi:app", {"VVS_BENCH_SETTINGS": json.dumps(settings)}, threads=4) as server:
            base = server.url
            clients = []
            for uid in residents:
                k = community_of[uid]
                paths = {"home": "/", "community_alerts": f"/alertes/communaute/{k}",
                         "gazette": f"/gazette/communaute/{k}", "gazette_new": f"/gazette/communaute/{k}/ajouter",
                         "community": f"/communaute/{k}", "inbox": "/messagerie",
                         "conversation": f"/messagerie/conversation/{conversations[uid]}",
                         "api_alerts": "/api/v1/alerts", "api_me": "/api/v1/me",
                         "api_notifications": "/api/v1/me/notifications"}
                http = login(base, f"u{uid}@national.test", p.password)
                clients.append(Client("resident", dict(http.cookies), paths))
            for uid in referents:
                k = community_of[uid]
                paths = {"home": "/", "community": f"/communaute/{k}", "directory": f"/communaute/{k}/annuaire",
                         "requests": f"/communaute/{k}/demandes", "history": f"/communaute/{k}/historique",
                         "gazette": f"/gazette/communaute/{k}", "inbox": "/messagerie",
                         "api_directory": f"/api/v1/communities/{k}/directory"}
                http = login(base, f"u{uid}@national.test", p.password)
                clients.append(Client("referent", dict(http.cookies), paths))
            # The agent, signed in once with the second factor, in four tabs.
            http = login(base, p.agent, p.password)
            page = http.get(f"{base}/mairie/2fa")
            res = http.post(f"{base}/mairie/2fa", data={"csrf_token": csrf_of(page.text),
                                                         "code": pyotp.TOTP(p.agent_totp).now()}, allow_redirects=False)
            if res.status_code not in (302, 303):
                raise RuntimeError(f"the agent's second factor answered {res.status_code}")
            insee = p.agent_insee
            agent_paths = {"agent_dashboard": f"/mairie/{insee}", "agent_report": f"/mairie/{insee}/rapport/{month}",
                           "agent_activity": f"/mairie/{insee}/activite.json", "home": "/"}
            clients += [Client("agent", dict(http.cookies), agent_paths) for _ in range(AGENTS)]
            assert len(clients) == CONNECTIONS
            # Every page answers before the clock starts (and the templates are compiled).
            bad = asyncio.run(warm(base, clients))
            if bad:
                raise RuntimeError(f"pages that do not answer: {bad[:10]}")
            client_ceiling = asyncio.run(ceiling(base, 10))
            log(f"mixed: the client's ceiling on hello: {client_ceiling:.0f} req/s")
            load_before = os.getloadavg()[0]
            t0 = time.monotonic()
            samples, errors = asyncio.run(load(base, clients, SECONDS))
            elapsed = time.monotonic() - t0
    finally:
        workers.terminate()
        workers.wait(60)
    result = {"mixed_seconds": SECONDS, "mixed_connections": CONNECTIONS, "mixed_requests": len(samples),
              "mixed_rps": round(len(samples) / elapsed, 1), "mixed_errors": len(errors),
              "mixed_client_ceiling_rps": round(client_ceiling), "mixed_users": p.counts["users"],
              "mixed_loadavg": round(max(load_before, os.getloadavg()[0]), 1)}
    by_name = {}
    for kind, name, ms, _status in samples:
        by_name.setdefault(f"{kind}_{name}", []).append(ms)
    for name, times in sorted(by_name.items()):
        result[f"mixed_{name}_count"] = len(times)
        result[f"mixed_{name}_p50_ms"] = round(percentile(times, 50), 1)
        result[f"mixed_{name}_p99_ms"] = round(percentile(times, 99), 1)
    writes = sum(len(v) for k, v in by_name.items() if "_post_" in k)
    result["mixed_writes_per_s"] = round(writes / elapsed, 1)
    log(f"mixed: {len(samples)} requests, {len(errors)} errors, {result['mixed_rps']} req/s")
    for line in errors[:20]:
        log(f"mixed error: {line}")
    return result
