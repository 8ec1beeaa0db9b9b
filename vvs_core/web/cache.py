"""Cache of what every signed-in page reads again and again (the user, their memberships,
the menu, the home page's summary, a plugin's page…), invalidated by the writes that
change what it read — not by every write (issue 16.4).

Why: without it a signed-in page runs a dozen small queries (the core's and each
plugin's), and on a commune-sized install pages are read far more often than data is
written. A cache emptied by any write is empty on a busy platform (a référent merely
opening a directory writes an audit entry), so invalidation follows what changed:

- **tables**: a cached value depends on the tables its computation read — every table
  named by the statements of the request's transaction so far (a superset: what the
  request read before, and memoised, counts too), plus those its caller declares
  (``tables=``); a write to another table leaves it alone;
- **scopes**: a caller may say whose value it is (``scope=("community", 12)``,
  ``("user", 5)``, or several). For a table that holds that scope's column
  (``community_id``, ``user_id``, or the ``communities``/``users`` rows themselves), only
  writes to rows of that community or user, or writes whose rows are unknown (a bulk
  ``UPDATE``), invalidate it; a write in community A leaves community B's value alone;
- a value whose computation read nothing and declared nothing depends on every write
  (as before), and every value on schema changes.

Writes are seen at two levels: an ORM flush tells which rows changed (their community and
user, before and after); any other write statement (Core, ``text()``) tells its table only
(``INSERT/UPDATE/DELETE`` target; a ``DELETE`` also touches the tables whose foreign keys
cascade from it). Tables of ``UNCACHED_TABLES`` (the outbox and its texts, the jobs) move nothing:
no cached value may read them.

Each dependency has a **generation**: a process-local counter moved by the write statement
at once (a transaction sees its own uncommitted writes, as tests do), and a shared one in
Redis (``vvs:cache:g:<key>``), moved when the transaction that wrote commits or rolls back,
so every web process and worker sees the others' writes. A value is served while the
generations of its dependencies are those it was computed under, and for at most
``vvs.cache_seconds``. The values themselves stay in each process's memory.

``vvs.cache_url``: ``memory://`` (one process: the embedded default), ``redis://…``
(several processes), ``none`` (no cache). Left empty, it follows the broker: the broker's
Redis, ``memory://`` with the inline broker, ``none`` with AMQP.
"""

import contextvars
import itertools
import logging
import random
import re
import threading
import time
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

UNCACHED_TABLES = frozenset({"notifications", "notification_contents", "jobs"})
MAX_ENTRIES = 20_000
SHARED_KEY_SECONDS = 86_400  # a shared generation unused for a day goes (recreated at random: a miss, never stale)

_READS = re.compile(r"\s*(SELECT|SHOW|SET|PRAGMA|EXPLAIN|BEGIN|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|EXECUTE|"
                    r"PREPARE|DEALLOCATE|VALUES|WITH)\b", re.I)
_TARGET = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)
_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# What a scope is, in a table: its column, or the scope's own table (by primary key).
SCOPE_COLUMNS = {"community": "community_id", "user": "user_id"}
SCOPE_TABLES = {"communities": "community", "users": "user"}

ANY_WRITE = "*"  # moved by every write: what a value that read nothing depends on
SCHEMA = "all"  # moved by writes of unknown target (DDL): every value depends on it

# --- Generations ---------------------------------------------------------------

_local = itertools.count(1)
_local_generation = 0  # moved by every write in this process (kept for tools and tests)
_local_generations: dict[str, int] = {}
_shared: dict[str, "RedisGeneration"] = {}
_lock = threading.Lock()
_flushing: contextvars.ContextVar[bool] = contextvars.ContextVar("vvs_cache_flushing", default=False)
# The tables read by each value being computed (nested: an enclosing value's too).
_trackers: contextvars.ContextVar[tuple] = contextvars.ContextVar("vvs_cache_trackers", default=())


def _bump_local(keys=()) -> None:
    global _local_generation
    for key in keys:
        _local_generations[key] = next(_local)
    _local_generation = next(_local)


class RedisGeneration:
    """The shared generations: Redis counters every process reads."""

    KEY = "vvs:cache:generation"  # the one of ANY_WRITE
    PREFIX = "vvs:cache:g:"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    def _name(self, key: str) -> str:
        return self.KEY if key == ANY_WRITE else self.PREFIX + key

    def read(self) -> int | None:
        """The generation of any write, or None when Redis does not answer."""
        found = self.read_many([ANY_WRITE])
        return None if found is None else found[ANY_WRITE]

    def read_many(self, keys) -> dict[str, int] | None:
        """{key: generation}, or None when Redis does not answer (then nothing is cached).
        A key Redis does not hold (new, flushed, expired) starts from a random point, so that
        no value cached before can match a generation counted again from zero."""
        keys = list(keys)
        try:
            names = [self._name(k) for k in keys]
            values = self.client.mget(names) if names else []
            missing = [name for name, value in zip(names, values) if value is None]
            if missing:
                pipe = self.client.pipeline()
                for name in missing:
                    pipe.set(name, random.getrandbits(48), nx=True, ex=SHARED_KEY_SECONDS)
                pipe.execute()
                values = self.client.mget(names)
            return {k: int(v) for k, v in zip(keys, values)}
        except Exception as exc:  # a cache must never take a page down
            log.warning("cache generation unreadable (%s): serving uncached", type(exc).__name__)
            return None

    def bump(self, keys=(ANY_WRITE,)) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                name = self._name(key)
                pipe.incr(name)
                if key != ANY_WRITE:
                    pipe.expire(name, SHARED_KEY_SECONDS)
            pipe.execute()
        except Exception as exc:
            log.warning("cache generation not moved (%s): other processes may serve values up to "
                        "vvs.cache_seconds old", type(exc).__name__)


def shared_generation(url: str) -> RedisGeneration:
    """The Redis generations of ``url``, created once per process. Creating them is also what
    makes this process's writes move them: call it in any process that writes to the
    database of an app whose cache is on that Redis (the app does it at start-up)."""
    with _lock:
        if url not in _shared:
            _shared[url] = RedisGeneration(url)
        return _shared[url]


# --- What the database knows of its tables ---------------------------------------------

def _tables():
    from vvs_core.models.meta import Base

    return Base.metadata.tables


_cascades: dict[str, frozenset] = {}


def _cascade_children(table: str) -> frozenset:
    """Tables whose rows a delete in ``table`` may change through their foreign keys."""
    if table not in _cascades:
        found = set()
        for name, t in _tables().items():
            for fk in t.foreign_keys:
                if fk.column.table.name == table and (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                    found.add(name)
        _cascades[table] = frozenset(found)
    return _cascades[table]


def scope_applies(table: str, kind: str) -> bool:
    """Whether rows of ``table`` belong to one ``kind`` ("community", "user") each."""
    if SCOPE_TABLES.get(table) == kind:
        return True
    t = _tables().get(table)
    return t is not None and SCOPE_COLUMNS[kind] in t.c


_statement_tables: OrderedDict = OrderedDict()


def tables_read(statement: str) -> frozenset:
    """The tables a statement names (every word that is a table's name: a superset)."""
    found = _statement_tables.get(statement)
    if found is None:
        names = _tables()
        found = frozenset(w for w in set(_WORDS.findall(statement)) if w in names)
        _statement_tables[statement] = found
        if len(_statement_tables) > 5000:
            _statement_tables.popitem(last=False)
    return found


# --- Seeing writes ------------------------------------------------------------------

def _cascade_keys(table: str) -> set[str]:
    """What deleting a row of ``table`` writes besides: the cached tables its foreign keys cascade to."""
    return {f"{kind}:{child}" for child in _cascade_children(table) if child not in UNCACHED_TABLES for kind in "tu"}


def _mark(conn, keys) -> None:
    _bump_local(keys)
    conn.info.setdefault("vvs_cache_dirty", set()).update(keys)
    for written in conn.info.get("vvs_cache_savepoints", ()):
        written.update(keys)


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(conn, cursor, statement, parameters, context, executemany):
    if _READS.match(statement):
        trackers = _trackers.get()
        if trackers and statement.lstrip()[:6].upper().startswith(("SELECT", "WITH")):
            found = tables_read(statement)
            for tracker in trackers:
                tracker.update(found)
        return
    if _flushing.get():  # the ORM flush says which rows (see _after_flush)
        return
    keys = _statement_write_keys(statement)
    if keys:
        _mark(conn, keys)


def _statement_write_keys(statement: str) -> set[str]:
    """What a statement moves, read from its text: nothing for a read or a write to ``UNCACHED_TABLES``."""
    if _READS.match(statement):
        return set()
    target = _TARGET.match(statement)
    if target is None:  # DDL or unknown: every value
        return {ANY_WRITE, SCHEMA}
    table = target.group(1).lower()
    if table in UNCACHED_TABLES:
        return set()
    return {ANY_WRITE, f"t:{table}", f"u:{table}"} | (_cascade_keys(table) if statement.lstrip()[:6].upper() == "DELETE" else set())


def _row_keys(obj, deleted: bool) -> set[str]:
    """What the flush of ``obj`` moves: its tables, and the community and user its row
    belonged to before and after the change ("unknown rows" when it names neither)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm.exc import UnmappedColumnError

    state = sa_inspect(obj)
    mapper = state.mapper
    keys: set[str] = set()
    for table in mapper.tables:
        name = table.name
        if name in UNCACHED_TABLES:
            continue
        keys |= {ANY_WRITE, f"t:{name}"}
        owners = set()
        for kind, column in SCOPE_COLUMNS.items():
            if SCOPE_TABLES.get(name) == kind:
                identity = state.identity or mapper.primary_key_from_instance(obj)
                owners |= {(kind, identity[0])} if identity and identity[0] is not None else set()
            elif column in table.c:
                try:
                    prop = mapper.get_property_by_column(table.c[column])
                except UnmappedColumnError:
                    continue
                history = state.attrs[prop.key].history
                owners |= {(kind, v) for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
        keys |= {f"s:{name}:{kind}:{value}" for kind, value in owners}
        if not owners:
            keys.add(f"u:{name}")
        if deleted:
            keys |= _cascade_keys(name)
    return keys


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    session.info["vvs_cache_flush_token"] = _flushing.set(True)


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    keys: set[str] = set()
    for obj in session.new:
        keys |= _row_keys(obj, False)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            keys |= _row_keys(obj, False)
    for obj in session.deleted:
        keys |= _row_keys(obj, True)
    if keys:
        _mark(session.connection(), keys)


@event.listens_for(Session, "after_flush_postexec")
def _after_flush_postexec(session, flush_context):
    token = session.info.pop("vvs_cache_flush_token", None)
    if token is not None:
        _flushing.reset(token)
    else:
        _flushing.set(False)


@event.listens_for(Session, "after_transaction_end")
def _after_failed_flush(session, transaction):
    # A flush that raised (an IntegrityError in a savepoint…) never reaches
    # after_flush_postexec: its rollback ends here, and "flushing" must not stay set, or
    # every later Core and text write of this thread went unnoticed by the cache.
    token = session.info.pop("vvs_cache_flush_token", None)
    if token is not None:
        try:
            _flushing.reset(token)
        except ValueError:  # set in another context
            _flushing.set(False)


def _on_transaction_end(conn):
    dirty = conn.info.pop("vvs_cache_dirty", None)
    conn.info.pop("vvs_cache_savepoints", None)
    if dirty:
        _bump_local(dirty)
        for generation in list(_shared.values()):
            generation.bump(dirty)


def _on_savepoint(conn, name):
    # What is written inside each open savepoint (a stack: savepoints end in reverse order).
    conn.info.setdefault("vvs_cache_savepoints", []).append(set())


def _on_savepoint_rollback(conn, name, context):
    # Rolled-back writes may have been read (and cached) since they were made.
    stack = conn.info.get("vvs_cache_savepoints")
    if stack:
        written = stack.pop()
        if written:
            _bump_local(written)


def _on_savepoint_release(conn, name, context):
    stack = conn.info.get("vvs_cache_savepoints")
    if stack:
        stack.pop()  # its writes belong to the enclosing transaction now


event.listen(Engine, "commit", _on_transaction_end)
event.listen(Engine, "rollback", _on_transaction_end)
event.listen(Engine, "savepoint", _on_savepoint)
event.listen(Engine, "rollback_savepoint", _on_savepoint_rollback)
event.listen(Engine, "release_savepoint", _on_savepoint_release)


def dependencies(tables, scopes) -> tuple[str, ...]:
    """The generation keys of a value that read ``tables`` for ``scopes``."""
    keys = {SCHEMA}
    tables = [t for t in tables if t not in UNCACHED_TABLES]
    if not tables:
        keys.add(ANY_WRITE)
    for table in tables:
        narrowed = [(kind, value) for kind, value in scopes if scope_applies(table, kind)]
        if narrowed:
            keys.add(f"u:{table}")
            keys |= {f"s:{table}:{kind}:{value}" for kind, value in narrowed}
        else:
            keys.add(f"t:{table}")
    return tuple(sorted(keys))


def _scopes(scope) -> list[tuple[str, object]]:
    if scope is None:
        return []
    if isinstance(scope, tuple) and len(scope) == 2 and isinstance(scope[0], str):
        scope = [scope]
    out = []
    for kind, value in scope:
        if kind not in SCOPE_COLUMNS:
            raise ValueError(f"unknown cache scope {kind!r}: one of {sorted(SCOPE_COLUMNS)}")
        out.append((kind, value))
    return out


# --- The cache -------------------------------------------------------------------

class PageCache:
    """Values computed for pages, in this process, keyed by what they depend on.

    ``get(request, key, compute, tables=…, scope=…)`` returns ``compute()``'s value for
    ``key`` (a tuple that names the value and its arguments: user id, community id,
    page…), computing it again when a write changed what it read (see the module's doc) or
    the value is older than ``seconds``. Values must be plain data (no ORM instance: those
    expire with their session)."""

    def __init__(self, shared: RedisGeneration | None, seconds: float, enabled: bool = True):
        self.shared, self.seconds, self.enabled = shared, seconds, enabled
        self.values: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def _shared_values(self, request, keys) -> dict | None:
        """The shared generations of ``keys``, each read from Redis once per request."""
        if self.shared is None:
            return {}
        memo = request.__dict__.setdefault("_vvs_cache_shared", {})
        if memo is None:  # Redis did not answer during this request
            return None
        missing = [k for k in keys if k not in memo]
        if missing:
            found = self.shared.read_many(missing)
            if found is None:
                request.__dict__["_vvs_cache_shared"] = None
                return None
            memo.update(found)
        return memo

    def stamp(self, request, keys) -> tuple | None:
        shared = self._shared_values(request, keys)
        if shared is None:
            return None
        return tuple(shared.get(k, 0) for k in keys) + tuple(_local_generations.get(k, 0) for k in keys)

    def _any_write(self):
        """Something that moves with every write anywhere: read before and after computing."""
        if self.shared is None:
            return _local_generation
        found = self.shared.read_many([ANY_WRITE])
        return (None if found is None else found[ANY_WRITE], _local_generation)

    def get(self, request, key: tuple, compute, *, tables=(), scope=None):
        if not self.enabled:
            return compute()
        entry = self.values.get(key)
        now = time.monotonic()
        if entry is not None and entry[1] > now:
            stamp = self.stamp(request, entry[3])
            if stamp is None:
                return compute()
            if stamp == entry[0]:
                self.hits += 1
                note_read(*entry[4])  # what an enclosing value being computed depends on
                return entry[2]
        self.misses += 1
        # Stamped with what it depended on last time, read before computing (else: a write anywhere meanwhile discards it).
        before = self.stamp(request, known) if (known := entry and entry[3]) is not None else self._any_write()
        read = set(tables)
        token = _trackers.set(_trackers.get() + (read,))
        try:
            value = compute()
        finally:
            _trackers.reset(token)
        note_read(*read)
        keys = dependencies(read, _scopes(scope))
        stamp = before if known == keys else self.stamp(request, keys)
        if stamp is None:
            return value
        kept = known == keys or self._any_write() == before
        self.values[key] = (stamp, now + self.seconds if kept else now, value, keys, frozenset(read))  # expired: keys only
        self.values.move_to_end(key)
        if len(self.values) > MAX_ENTRIES:
            self.values.popitem(last=False)
        return value

    def clear(self) -> None:
        self.values.clear()


def note_read(*tables: str) -> None:
    """Say that the value being computed uses ``tables`` though it ran no statement on them
    (rows read earlier in the request and kept: its user's row, a plugin's memo)."""
    for tracker in _trackers.get():
        tracker.update(tables)


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
    from vvs_core.errors import ConfigurationError

    raise ConfigurationError(f"setting vvs.cache_url must be memory://, redis://… or none, not {url!r}")


def cached(request, key: tuple, compute, *, tables=(), scope=None):
    """``compute()``, or its value cached for ``key`` while no write changed what it read.

    ``tables``: tables the value depends on beyond those the request's statements read
    (a value built from rows read earlier, with the user's row); ``scope``: whose value it
    is, ``("community", id)``, ``("user", id)`` or a list of them — then only writes to that
    community's or user's rows (or to rows unknown) invalidate it."""
    return request.registry["vvs.page_cache"].get(request, key, compute, tables=tables, scope=scope)


def includeme(config):
    config.registry["vvs.page_cache"] = make_cache(config.registry.settings)
    config.add_request_method(cached, "cached")


# --- Rows read on every request --------------------------------------------------

def _row_snapshot(model, load) -> dict | None:
    row = load()
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
    load = load or (lambda: dbsession.get(model, pk))
    if not request.registry["vvs.page_cache"].enabled:  # no copy to make: the row as loaded
        return load()
    table = model.__tablename__
    scope = (SCOPE_TABLES[table], pk) if table in SCOPE_TABLES else None
    snapshot = cached(request, ("row", table, pk), lambda: _row_snapshot(model, load),
                      tables=(table,), scope=scope)
    if snapshot is None:
        return None
    instance = model.__mapper__.class_manager.new_instance()
    for key, value in snapshot.items():
        # Lists and dicts (JSON columns) are copied: a change in place must not reach the cache.
        setattr(instance, key, copy.copy(value) if isinstance(value, (list, dict)) else value)
    make_transient_to_detached(instance)
    return dbsession.merge(instance, load=False)
