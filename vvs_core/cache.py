"""Cache of what every signed-in page reads again and again (the user, their memberships,
the menu, the home page's summary, a plugin's page…), invalidated by any write.

Why: without it a signed-in page runs a dozen small queries (the core's and each
plugin's), and on a commune-sized install pages are read far more often than data is
written. The rule is simple enough to stay right:

- a **data generation** moves whenever a statement writes to the database through
  SQLAlchemy (ORM flush, Core, ``text()``, DDL), on any table but the few of
  ``UNCACHED_TABLES`` that no cached value reads (the outbox, the leased jobs);
- a cached value is served only while the generation it was computed under is still the
  current one, and for at most ``vvs.cache_seconds`` (for what changes with time alone).

The generation has a process-local part, moved by every write statement at once (so a
transaction sees its own uncommitted writes, as tests do), and a shared part in Redis,
moved when a transaction that wrote commits or rolls back (so every web process and worker
sees the others' writes). The values themselves stay in each process's memory.

``vvs.cache_url``: ``memory://`` (one process: the embedded default), ``redis://…``
(several processes), ``none`` (no cache). Left empty, it follows the broker: the broker's
Redis, ``memory://`` with the inline broker, ``none`` with AMQP.
"""
from __future__ import annotations

import itertools
import logging
import random
import re
import threading
import time
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

UNCACHED_TABLES = frozenset({"notifications", "jobs"})
MAX_ENTRIES = 20_000

_READS = re.compile(r"\s*(SELECT|SHOW|SET|PRAGMA|EXPLAIN|BEGIN|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|EXECUTE|"
                    r"PREPARE|DEALLOCATE|VALUES)\b", re.I)
_TARGET = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)

# --- Generations ---------------------------------------------------------------

_local = itertools.count(1)
_local_generation = 0
_shared: dict[str, "RedisGeneration"] = {}
_lock = threading.Lock()


def local_generation() -> int:
    return _local_generation


def _bump_local() -> None:
    global _local_generation
    _local_generation = next(_local)


class RedisGeneration:
    """The shared part of the generation: one Redis counter every process reads."""

    KEY = "vvs:cache:generation"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def read(self) -> int | None:
        """The current value, or None when Redis does not answer (then nothing is cached)."""
        try:
            value = self.client.get(self.KEY)
            if value is None:
                # A new or flushed Redis: start from a random point, so that no value cached
                # before the flush can match a generation counted again from zero.
                self.client.set(self.KEY, random.getrandbits(48), nx=True)
                value = self.client.get(self.KEY)
            return int(value)
        except Exception as exc:  # a cache must never take a page down
            log.warning("cache generation unreadable (%s): serving uncached", type(exc).__name__)
            return None

    def bump(self) -> None:
        try:
            self.client.incr(self.KEY)
        except Exception as exc:
            log.warning("cache generation not moved (%s): other processes may serve values up to "
                        "vvs.cache_seconds old", type(exc).__name__)


def shared_generation(url: str) -> RedisGeneration:
    """The Redis generation of ``url``, created once per process. Creating it is also what
    makes this process's writes move it: call it in any process that writes to the
    database of an app whose cache is on that Redis (the app does it at start-up)."""
    with _lock:
        if url not in _shared:
            _shared[url] = RedisGeneration(url)
        return _shared[url]


def _writes_cached_data(statement: str) -> bool:
    if _READS.match(statement):
        return False
    target = _TARGET.match(statement)
    return target is None or target.group(1).lower() not in UNCACHED_TABLES


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(conn, cursor, statement, parameters, context, executemany):
    if _writes_cached_data(statement):
        _bump_local()
        conn.info["vvs_cache_dirty"] = True


def _on_transaction_end(conn):
    if conn.info.pop("vvs_cache_dirty", False):
        _bump_local()
        for generation in list(_shared.values()):
            generation.bump()


def _on_savepoint_rollback(conn, name, context):
    # Rolled-back writes may have been read (and cached) since they were made.
    if conn.info.get("vvs_cache_dirty"):
        _bump_local()


event.listen(Engine, "commit", _on_transaction_end)
event.listen(Engine, "rollback", _on_transaction_end)
event.listen(Engine, "rollback_savepoint", _on_savepoint_rollback)


# --- The cache -------------------------------------------------------------------

class PageCache:
    """Values computed for pages, in this process, keyed by what they depend on.

    ``get(request, key, compute)`` returns ``compute()``'s value for ``key`` (a tuple that
    names the value and its arguments: user id, community id, page…), computing it again
    when the data generation has moved or the value is older than ``seconds``. Values must
    be plain data (no ORM instance: those expire with their session)."""

    def __init__(self, shared: RedisGeneration | None, seconds: float, enabled: bool = True):
        self.shared, self.seconds, self.enabled = shared, seconds, enabled
        self.values: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def generation(self, request):
        """(shared, local) generation for this request: the shared part read once per request."""
        if self.shared is None:
            return (0, _local_generation)
        shared = request.__dict__.get("_vvs_cache_shared", ...)
        if shared is ...:
            shared = request.__dict__["_vvs_cache_shared"] = self.shared.read()
        return None if shared is None else (shared, _local_generation)

    def get(self, request, key: tuple, compute):
        generation = self.generation(request) if self.enabled else None
        if generation is None:
            return compute()
        entry = self.values.get(key)
        now = time.monotonic()
        if entry is not None and entry[0] == generation and entry[1] > now:
            self.hits += 1
            return entry[2]
        self.misses += 1
        value = compute()
        # Stored under the generation read *before* computing: a write meanwhile makes it stale at once.
        self.values[key] = (generation, now + self.seconds, value)
        self.values.move_to_end(key)
        if len(self.values) > MAX_ENTRIES:
            self.values.popitem(last=False)
        return value

    def clear(self) -> None:
        self.values.clear()


def cache_url(settings) -> str:
    url = (settings.get("vvs.cache_url") or "").strip()
    if url:
        return url
    broker = settings.get("vvs.broker_url") or "inline"
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return "memory://" if broker == "inline" else "none"


def make_cache(settings) -> PageCache:
    url = cache_url(settings)
    seconds = float(settings.get("vvs.cache_seconds", 30))
    if url == "none" or seconds <= 0:
        return PageCache(None, seconds, enabled=False)
    if url.startswith(("redis://", "rediss://")):
        return PageCache(shared_generation(url), seconds)
    if url.startswith("memory://"):
        return PageCache(None, seconds)
    from .errors import ConfigurationError

    raise ConfigurationError(f"setting vvs.cache_url must be memory://, redis://… or none, not {url!r}")


def page_cache(request) -> PageCache:
    return request.registry["vvs.page_cache"]


def cached(request, key: tuple, compute):
    """``compute()``, or its value cached for ``key`` while no write happened since."""
    return request.registry["vvs.page_cache"].get(request, key, compute)


def includeme(config):
    config.registry["vvs.page_cache"] = make_cache(config.registry.settings)
    config.add_request_method(cached, "cached")


# --- Rows read on every request --------------------------------------------------

def _row_snapshot(dbsession, model, pk, load=None) -> dict | None:
    row = load() if load is not None else dbsession.get(model, pk)
    if row is None:
        return None
    from sqlalchemy import inspect

    # Deferred columns (a photo) stay out: loading them is what deferring avoids.
    return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs if not attr.deferred}


def cached_row(request, model, pk, load=None):
    """``request.dbsession.get(model, pk)``, with no query while the row is cached: a
    detached copy of its columns is merged into the session without loading
    (SQLAlchemy's ``merge(load=False)``); it can be changed and flushed like any row.
    ``load``: a function that reads the row (and maybe more) in its own way."""
    import copy

    from sqlalchemy.orm import make_transient_to_detached

    dbsession = request.dbsession
    snapshot = cached(request, ("row", model.__tablename__, pk), lambda: _row_snapshot(dbsession, model, pk, load))
    if snapshot is None:
        return None
    instance = model.__mapper__.class_manager.new_instance()
    for key, value in snapshot.items():
        # Lists and dicts (JSON columns) are copied: a change in place must not reach the cache.
        setattr(instance, key, copy.copy(value) if isinstance(value, (list, dict)) else value)
    make_transient_to_detached(instance)
    return dbsession.merge(instance, load=False)
