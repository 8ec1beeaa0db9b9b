"""Shared pieces of the benchmarks: a fresh PostGIS database, gunicorn, wrk, results."""
from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
# The servers and workers import this tree's code and plugins (also from a git worktree,
# whose plugins the virtualenv's editable install does not point at).
PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "plugins"), *filter(None, [os.environ.get("PYTHONPATH")])])
PG_BASE = os.environ.get("VVS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/vvs_bench")
# `make bench` passes the suite's Redis database (VVS_TEST_REDIS_URL); the benchmarks flush it.
REDIS_URL = (os.environ.get("VVS_BENCH_REDIS_URL") or os.environ.get("VVS_TEST_REDIS_URL")
             or "redis://127.0.0.1:6379/14")
RUNS = int(os.environ.get("VVS_BENCH_RUNS", "3"))
DURATION = int(os.environ.get("VVS_BENCH_SECONDS", "8"))
SERRIS = (2.7861, 48.8453)  # the town hall (lon, lat) of the communes the benchmarks load


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def psycopg_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def fresh_database(url: str = PG_BASE) -> str:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


def bench_settings(db_url: str, **extra) -> dict:
    from vvs_core.testing import base_settings

    return base_settings(db_url, **{"vvs.broker_url": REDIS_URL, "vvs.secure_cookies": "false", **extra})


def serris_community(db_url: str, name: str, metres: int):
    """(engine, session, commune, community) on ``db_url``: the commune of Serris and its
    community ``name``, a square of ``metres`` around the town hall, flushed."""
    from shapely.geometry import Point

    from vvs_core.geo import square_around
    from vvs_core.models import Commune, Community, get_engine, get_session_factory

    engine = get_engine(db_url)
    session = get_session_factory(engine)()
    commune = Commune(insee="77449", name="Serris", postcodes=["77700"], centre=Point(*SERRIS))
    session.add(commune)
    session.flush()
    community = Community(commune_id=commune.id, name=name, boundary=square_around(SERRIS, metres))
    session.add(community)
    session.flush()
    return engine, session, commune, community


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 sync workers serving ``module:app`` (``threads`` > 1: gthread workers,
    as ``production.ini``)."""

    def __init__(self, app: str, env: dict, workers: int = 2, threads: int = 1):
        # VVS_BENCH_PORT: a port of one's own on a machine shared with other benches.
        self.port = int(os.environ.get("VVS_BENCH_PORT") or 0) or free_port()
        self.cmd = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
                    f"127.0.0.1:{self.port}", "--log-level", "warning", app]
        if threads > 1:
            self.cmd[1:1] = ["-k", "gthread", "--threads", str(threads)]
        self.env = {**os.environ, **env, "PYTHONPATH": PYTHONPATH}

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1).read()
                return self
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited at start-up")
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    v, u = float(m.group(1)), m.group(2)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[u]


def wrk(url: str, seconds: int = DURATION, headers: dict | None = None, connections: int = 32) -> dict:
    # A long time-out: wrk leaves the answers slower than it (2 s by default) out of the
    # latencies and counts them as socket errors; on a starved machine that hid every answer.
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "socket_errors": sum(int(n) for line in re.findall(r"Socket errors:.*", out) for n in re.findall(r"\d+", line)),
    }


def drain(url: str, headers: dict | None = None) -> None:
    """One request after the others: it is answered once the server has served what the
    previous run's connections left queued (a sync worker serves a request whose client
    has gone), so that the next run starts on an idle server."""
    urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=600).read()


def measure(url: str, headers: dict | None = None, runs: int = RUNS) -> dict:
    """Warm up, then ``runs`` wrk runs, each on an idle server; medians of req/s and p99."""
    wrk(url, 2, headers)
    samples = []
    for _ in range(runs):
        drain(url, headers)
        samples.append(wrk(url, DURATION, headers))
    bad = sum(s["non2xx"] + s["socket_errors"] for s in samples)
    if bad:
        raise RuntimeError(f"{url}: {bad} responses were not 2xx or were lost (socket errors)")
    return {
        "rps": statistics.median(s["rps"] for s in samples),
        "p99_ms": statistics.median(s["p99_ms"] for s in samples),
        "rps_min": min(s["rps"] for s in samples),
        "rps_max": max(s["rps"] for s in samples),
        "runs": runs,
    }


def versus_ceiling(page: str, ceiling: dict, runs: dict) -> dict:
    """Requests/s, p99 and ratio to ``ceiling`` of each run of ``page`` (``{"": cache on,
    "_uncached": …}``): ``home_rps``, ``home_uncached_p99_ms``, ``home_ratio``…; and the ceiling's."""
    out = {f"{page}_ceiling_rps": round(ceiling["rps"]), f"{page}_ceiling_p99_ms": round(ceiling["p99_ms"], 1)}
    for suffix, run in runs.items():
        out |= {f"{page}{suffix}_rps": round(run["rps"]), f"{page}{suffix}_p99_ms": round(run["p99_ms"], 1),
                f"{page}{suffix}_ratio": round(run["rps"] / ceiling["rps"], 2)}
    return out


def login(base_url: str, email: str, password: str):
    """A ``requests.Session`` signed in through the login form (303 expected)."""
    import requests

    http = requests.Session()
    page = http.get(f"{base_url}/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    res = http.post(f"{base_url}/connexion", data={"csrf_token": token, "email": email, "password": password,
                                                     "submit": "submit"}, allow_redirects=False)
    if res.status_code not in (302, 303):
        raise RuntimeError(f"login of {email} answered {res.status_code}")
    return http


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_fields(html: str, formid: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit from the form ``formid`` (or the
    first form with a CSRF token), in document order (deform's peppercorn markers need
    it): hidden and text inputs, checked boxes, selected options, text areas. File
    inputs and submit buttons are left out."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth, self.done, self.fields = 0, False, []
            self.select = self.textarea = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and not self.done and self.depth == 0:
                if formid is None or a.get("id") == formid:
                    self.depth = 1
                return
            if not self.depth:
                return
            kind = (a.get("type") or "text").lower()
            if tag == "input" and a.get("name") and kind not in ("submit", "file", "button", "image", "reset"):
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                self.fields.append([a["name"], a.get("value", "on" if kind == "checkbox" else "")])
            elif tag == "select" and a.get("name"):
                self.select = [a["name"], None]
                self.fields.append(self.select)
            elif tag == "option" and self.select is not None:
                if self.select[1] is None or "selected" in a:
                    self.select[1] = a.get("value", "")
            elif tag == "textarea" and a.get("name"):
                self.textarea = [a["name"], ""]
                self.fields.append(self.textarea)

        def handle_data(self, data):
            if self.textarea is not None:
                self.textarea[1] += data

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None
            elif tag == "form" and self.depth:
                self.depth, self.done = 0, True

    parser = Parser()
    parser.feed(html)
    return [(name, value or "") for name, value in parser.fields]


def fill_form(fields: list[tuple[str, str]], **values) -> list[tuple[str, str]]:
    """``fields`` with the first field of each name in ``values`` set (and a submit)."""
    out, seen = [], set()
    for name, value in fields:
        if name in values and name not in seen:
            value = values[name]
            seen.add(name)
        out.append((name, value))
    return out + [(n, v) for n, v in values.items() if n not in seen]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(q / 100 * len(ordered))) - 1)]


def save_results(new: dict) -> dict:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.update(new)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data
