"""Writes the measured figures into docs/performance.md between two markers."""
from __future__ import annotations

import os
import platform
from datetime import date

from .common import ROOT

START, END = "<!-- figures:start -->", "<!-- figures:end -->"

ROWS = [
    ("Home page of a logged-in resident (gunicorn 2 workers, PostGIS, 32 connections)", "home_rps", "home_p99_ms"),
    ("…its ceiling: same template, fixed in-memory data, no database", "home_ceiling_rps", "home_ceiling_p99_ms"),
    ("…the same page with the page cache off (every request as if it followed a write)",
     "home_uncached_rps", "home_uncached_p99_ms"),
    ("…the same page (cache on) while a thread writes gazette posts in 10 communities, one in ten the resident's "
     "(10 a second asked, the rate reached below)", "home_writes_rps", "home_writes_p99_ms"),
    ("Hello-world view (reference)", "hello_rps", None),
    ("Gazette page of a community with 1,000 posts, for a member", "gazette_rps", "gazette_p99_ms"),
    ("…its ceiling", "gazette_ceiling_rps", "gazette_ceiling_p99_ms"),
    ("…the same page with the page cache off", "gazette_uncached_rps", "gazette_uncached_p99_ms"),
]


def write_performance_doc(data: dict) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else f"# Performance\n\n{START}\n{END}\n"
    lines = [START, "", f"Last run: {date.today().isoformat()} on {platform.machine()}, "
             f"Python {platform.python_version()} (`make bench`).", "",
             "| page | requests/s | p99 (ms) |", "|---|---:|---:|"]
    for label, rps, p99 in ROWS:
        if rps in data:
            lines.append(f"| {label} | {data[rps]} | {data.get(p99, '') if p99 else ''} |")
    writes = f"Home page under {data.get('home_writes_per_s', 10)} writes/s"
    for key, page, goal in [("home_ratio", "Home page", "≥ 0.5, p99 < 150 ms"),
                            ("home_uncached_ratio", "Home page without the cache", "≥ 0.3, p99 < 150 ms"),
                            ("home_writes_ratio", writes, "≥ 0.5"),
                            ("gazette_ratio", "Gazette page", "≥ 0.5, p99 < 150 ms"),
                            ("gazette_uncached_ratio", "Gazette page without the cache", "≥ 0.3, p99 < 150 ms")]:
        if key in data:
            lines.append(f"\n{page} / ceiling: **{data[key]}** (goal {goal}).")
    if "geo_lookups_per_s" in data:
        lines += ["", "| point-in-community lookups, 10,000 communities | lookups/s |", "|---|---:|",
                  f"| through `vvs_core.geo` (PostGIS, GiST) | {data['geo_lookups_per_s']} |",
                  f"| one raw SQL query (psycopg, same statement) | {data['geo_raw_sql_per_s']} |",
                  f"\nRatio: **{data['geo_ratio']}** (goal ≥ 0.5)."]
    if "fanout_10000_s" in data:
        lines += ["", "| fan-out: one alert to 10,000 members | value |", "|---|---:|",
                  f"| seconds from POST to last notification handed to the provider | {data['fanout_10000_s']} |",
                  f"| notifications/s | {data['fanout_notifications_per_s']} |",
                  f"| no-op dramatiq messages/s (ceiling, same broker and workers) | {data['noop_messages_per_s']} |"]
    lines += mixed_lines(data) + scale_lines(data)
    loads = ", ".join(f"`{key[len('loadavg_'):]}` {value}" for key, value in sorted(data.items())
                      if key.startswith("loadavg_"))
    if loads:
        lines += ["", f"Load average of the machine (1 min, {os.cpu_count()} cores) when each benchmark started: "
                  f"{loads}. Figures taken on a busy machine are lower than on an idle one."]
    lines += ["", END]
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(head + "\n".join(lines) + tail)


def _table(data: dict, prefix: str, names: list[str], suffixes: list[tuple[str, str]]) -> list[str]:
    rows = []
    for name in names:
        cells = [str(data.get(f"{prefix}{name}{suffix}", "")) for suffix, _label in suffixes]
        rows.append(f"| {name.replace('_', ' ')} | " + " | ".join(cells) + " |")
    return rows


def mixed_lines(data: dict) -> list[str]:
    if "mixed_requests" not in data:
        return []
    names = sorted({k[len("mixed_"):-len("_count")] for k in data if k.startswith("mixed_") and k.endswith("_count")})
    lines = ["", f"Mixed load ({data['mixed_connections']} connections, {data['mixed_seconds']} s, "
             f"{data['mixed_users']:,} users, gunicorn 2 workers × 4 threads, 2 dramatiq workers): "
             f"**{data['mixed_requests']:,} requests, {data['mixed_errors']} errors**, {data['mixed_rps']} req/s "
             f"({data['mixed_writes_per_s']} writes/s); the load client's own ceiling on the hello-world view "
             f"in the same run: {data['mixed_client_ceiling_rps']} req/s.", "",
             "| who, what | requests | p50 (ms) | p99 (ms) |", "|---|---:|---:|---:|"]
    return lines + _table(data, "mixed_", names, [("_count", ""), ("_p50_ms", ""), ("_p99_ms", "")])


def scale_lines(data: dict) -> list[str]:
    if "scale_factor" not in data:
        return []
    names = sorted({k[len("scale_"):-len("_p99_ms")] for k in data
                    if k.startswith("scale_") and k.endswith("_p99_ms") and "_cached" not in k and "login" not in k})
    fanout = [k for k in data if k.startswith("scale_fanout_") and k.endswith("_s") and k[13:-2].isdigit()]
    lines = ["", f"National data set at scale **{data['scale_factor']}** ({data['scale_users']:,} users, loaded in "
             f"{data['scale_load_s']} s; the big community {data['scale_big_members']:,} members, the agent's commune "
             f"{data['scale_agent_communities']} communities), `wrk` with {data['scale_connections']} connections "
             "(one request at a time per gunicorn worker), cache off then on:", "",
             "| page | p50 off (ms) | p99 off (ms) | req/s off | p50 on (ms) | p99 on (ms) |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += _table(data, "scale_", names, [("_p50_ms", ""), ("_p99_ms", ""), ("_rps", ""), ("_cached_p50_ms", ""),
                                             ("_cached_p99_ms", "")])
    if "scale_login_p99_ms" in data:
        lines.append(f"| login (POST, {data.get('scale_logins', 60)} accounts) | {data['scale_login_p50_ms']} | "
                     f"{data['scale_login_p99_ms']} | | | |")
        lines += ["", f"One argon2 verification in-process (the floor of a login): {data['scale_login_hash_ms']} ms "
                  "(goal: login p99 < 50 ms)."]
    for key in fanout:
        lines += ["", f"Fan-out: one alert to {int(key[13:-2]):,} members × 2 channels handed to the providers in "
                  f"**{data[key]} s** ({data['scale_fanout_notifications_per_s']:,} notifications/s; goal < 30 s)."]
    return lines
