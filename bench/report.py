"""Writes the measured figures into docs/performance.md between two markers."""
from __future__ import annotations

import platform
from datetime import date

from .common import ROOT

START, END = "<!-- figures:start -->", "<!-- figures:end -->"

ROWS = [
    ("Home page of a logged-in resident (gunicorn 2 workers, PostGIS, 32 connections)", "home_rps", "home_p99_ms"),
    ("…its ceiling: same template, fixed in-memory data, no database", "home_ceiling_rps", "home_ceiling_p99_ms"),
    ("…the same page with the page cache off (every request as if it followed a write)",
     "home_uncached_rps", "home_uncached_p99_ms"),
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
    if "home_ratio" in data:
        lines.append(f"\nHome page / ceiling: **{data['home_ratio']}** (goal ≥ 0.5, p99 < 150 ms).")
    if "gazette_ratio" in data:
        lines.append(f"\nGazette page / ceiling: **{data['gazette_ratio']}** (goal ≥ 0.5, p99 < 150 ms).")
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
    lines += ["", END]
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(head + "\n".join(lines) + tail)
