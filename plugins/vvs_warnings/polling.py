"""One poll of one feed, in two steps: ``gather`` fetches and reads (the network, no
transaction held: on SQLite a write lock held during a slow fetch would stall every
alert), then ``apply`` folds the messages into warnings in one transaction, alone for
that feed (an advisory lock on PostgreSQL, the write lock on SQLite): two polls that
overlap never read the same message twice. Every refusal is one log line naming the
feed and why; nothing of a refused document is kept or sent."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, text

from .documents import DocumentRefused, read_atom, read_cap, read_vigicrues
from .fetching import Feed, FetchFailed, fetch
from .models import WarningMessageKey
from .relay import end_expired, ingest, river_messages

log = logging.getLogger(__name__)


@dataclass
class Gathered:
    messages: list = field(default_factory=list)      # SourceWarning, or RiverSection for Vigicrues
    refused: str = ""


def known_keys(dbsession, keys) -> set[str]:
    keys = [k for k in keys if k]
    if not keys:
        return set()
    return set(dbsession.scalars(select(WarningMessageKey.key).where(WarningMessageKey.key.in_(keys))))


def gather(settings, feed: Feed, known) -> Gathered:
    """Fetch and read ``feed`` (and the CAP documents it links to that ``known(keys)``
    does not already know, within ``vvs.warnings.max_documents``)."""
    timeout, max_bytes = settings["vvs.warnings.timeout"], settings["vvs.warnings.max_bytes"]
    try:
        data = fetch(feed.url, timeout, max_bytes)
        if feed.kind == "vigicrues-geojson":
            return Gathered(read_vigicrues(data, max_bytes))
        entries = read_atom(data, max_bytes)
    except FetchFailed as failed:
        log.warning("warnings: feed %s (%s) unreachable: %s", feed.name, feed.url[:200], failed)
        return Gathered(refused=str(failed))
    except DocumentRefused as refused:
        log.warning("warnings: feed %s (%s) refused: %s", feed.name, feed.url[:200], refused)
        return Gathered(refused=str(refused))
    already = known([e.key for e in entries if e.warning is None])
    gathered, fetched = Gathered(), 0
    for entry in entries:
        if entry.warning is not None:
            gathered.messages.append(entry.warning)
            continue
        if entry.key in already or not entry.cap_url.startswith(("http://", "https://")):
            continue
        if fetched >= settings["vvs.warnings.max_documents"]:
            break
        fetched += 1
        try:
            gathered.messages.append(read_cap(fetch(entry.cap_url, timeout, max_bytes), max_bytes))
        except (DocumentRefused, FetchFailed) as refused:
            log.warning("warnings: CAP document %s of %s refused: %s", entry.cap_url[:200], feed.name, refused)
    return gathered


def _alone(request, feed: Feed) -> bool:
    """This transaction is the only one applying ``feed`` (PostgreSQL: an advisory lock
    until it ends; SQLite: the task's BEGIN IMMEDIATE already serialises writers)."""
    if request.dbsession.get_bind().dialect.name != "postgresql":
        return True
    key = int.from_bytes(hashlib.sha256(f"vvs_warnings:{feed.url}".encode()).digest()[:8], "big", signed=True)
    return bool(request.dbsession.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}))


def apply(request, feed: Feed, gathered: Gathered) -> dict:
    if gathered.refused:
        return {"refused": gathered.refused}
    if not _alone(request, feed):
        log.info("warnings: feed %s is being applied by another poll; skipped", feed.name)
        return {"skipped": 1}
    messages = gathered.messages
    if feed.kind == "vigicrues-geojson":  # sections, not messages: compare with what is known
        messages = river_messages(feed, messages, request.dbsession,
                                  request.registry.settings["vvs.warnings.river_buffer_m"])
    counts = ingest(request, feed, messages, request.registry.settings["vvs.warnings.geocodes"])
    if counts:
        log.info("warnings: feed %s: %s", feed.name, ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return dict(counts)


def poll_feed(request, feed: Feed) -> dict:
    """Both steps with one request (tests; the periodic task separates them)."""
    gathered = gather(request.registry.settings, feed, lambda keys: known_keys(request.dbsession, keys))
    return apply(request, feed, gathered)


def end_expired_warnings(request) -> int:
    return end_expired(request)
