"""Shared pieces of the benchmarks: a fresh PostGIS database, gunicorn, wrk, results."""
from __future__ import annotations

import json
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
PG_BASE = os.environ.get("VVS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/vvs_bench")
REDIS_URL = os.environ.get("VVS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
RUNS = int(os.environ.get("VVS_BENCH_RUNS", "3"))
DURATION = int(os.environ.get("VVS_BENCH_SECONDS", "8"))


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 sync workers (as in production) serving ``module:app``."""

    def __init__(self, app: str, env: dict, workers: int = 2):
        self.port = free_port()
        self.cmd = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b",
                    f"127.0.0.1:{self.port}", "--log-level", "warning", app]
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}

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


def wrk(url: str, seconds: int = DURATION, headers: dict | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def measure(url: str, headers: dict | None = None, runs: int = RUNS) -> dict:
    """Warm up, then ``runs`` wrk runs; medians of req/s and p99."""
    wrk(url, 2, headers)
    samples = [wrk(url, DURATION, headers) for _ in range(runs)]
    bad = sum(s["non2xx"] for s in samples)
    if bad:
        raise RuntimeError(f"{url}: {bad} responses were not 2xx")
    return {
        "rps": statistics.median(s["rps"] for s in samples),
        "p99_ms": statistics.median(s["p99_ms"] for s in samples),
        "rps_min": min(s["rps"] for s in samples),
        "rps_max": max(s["rps"] for s in samples),
        "runs": runs,
    }


def save_results(new: dict) -> dict:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.update(new)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data
