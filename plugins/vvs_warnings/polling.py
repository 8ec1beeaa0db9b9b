"""One poll of one feed: fetch, read, fold into warnings. Every refusal is one log
line naming the feed and why; nothing of a refused document is kept or sent."""
from __future__ import annotations

import logging

from .documents import DocumentRefused, read_atom, read_cap, read_vigicrues
from .fetching import Feed, FetchFailed, fetch
from .models import WarningMessageKey
from .relay import end_expired, ingest, river_messages

log = logging.getLogger(__name__)


def _limits(settings) -> tuple[float, int]:
    return settings["vvs.warnings.timeout"], settings["vvs.warnings.max_bytes"]


def read_messages(request, feed: Feed, data: bytes) -> list:
    """The messages of a fetched feed (CAP documents linked from an Atom feed fetched
    too, within ``vvs.warnings.max_documents``)."""
    settings = request.registry.settings
    timeout, max_bytes = _limits(settings)
    if feed.kind == "vigicrues-geojson":
        return river_messages(feed, read_vigicrues(data, max_bytes), request.dbsession,
                              settings["vvs.warnings.river_buffer_m"])
    messages, fetched = [], 0
    for entry in read_atom(data, max_bytes):
        if entry.warning is not None:
            messages.append(entry.warning)
            continue
        if entry.key and request.dbsession.get(WarningMessageKey, entry.key) is not None:
            continue  # read at an earlier poll
        if fetched >= settings["vvs.warnings.max_documents"] or not entry.cap_url.startswith(("http://", "https://")):
            continue
        fetched += 1
        try:
            messages.append(read_cap(fetch(entry.cap_url, timeout, max_bytes), max_bytes))
        except (DocumentRefused, FetchFailed) as refused:
            log.warning("warnings: CAP document %s of %s refused: %s", entry.cap_url[:200], feed.name, refused)
    return messages


def poll_feed(request, feed: Feed) -> dict:
    timeout, max_bytes = _limits(request.registry.settings)
    try:
        data = fetch(feed.url, timeout, max_bytes)
        messages = read_messages(request, feed, data)
    except FetchFailed as failed:
        log.warning("warnings: feed %s (%s) unreachable: %s", feed.name, feed.url[:200], failed)
        return {"refused": str(failed)}
    except DocumentRefused as refused:
        log.warning("warnings: feed %s (%s) refused: %s", feed.name, feed.url[:200], refused)
        return {"refused": str(refused)}
    counts = ingest(request, feed, messages, request.registry.settings["vvs.warnings.geocodes"])
    if counts:
        log.info("warnings: feed %s: %s", feed.name, ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return dict(counts)


def end_expired_warnings(request) -> int:
    return end_expired(request)
