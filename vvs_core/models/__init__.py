"""Database models, engine and the per-request session (cookiecutter-pyramid style)."""

import re

import sqlalchemy as sa
import zope.sqlalchemy
from sqlalchemy.orm import sessionmaker

from .community import Commune, Community, CommunityEvent, Membership  # noqa: F401
from .geometry import Geometry  # noqa: F401
from .meta import Base  # noqa: F401
from .types import UTCDateTime  # noqa: F401
from .notification import Notification, NotificationContent  # noqa: F401
from .user import Token, User  # noqa: F401
from ..web.textsearch import register_sqlite_functions
from .job import Job  # noqa: F401
from .provider_callback import ProviderCallback  # noqa: F401


def row_id(raw) -> int | None:
    """``raw`` (a path segment, a form or query value) as a row's id, or None: ASCII digits only ("²" and
    "١٢" are digits to Python), nine at most (beyond: out of PostgreSQL's INTEGER)."""
    raw = str(raw if raw is not None else "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BEGIN_OPTION = "vvs_sqlite_begin"


def get_engine(url: str, **kw):
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kw)
    # Recycle rather than pre-ping: a ping is one more round trip on every request.
    kw.setdefault("pool_recycle", 1800)
    engine = sa.create_engine(url, **kw)
    # Pages (GET) read outside a transaction (BEGIN, ROLLBACK: 2 round trips); one begins at a write or a lock.
    engine.reader = engine.execution_options(isolation_level="AUTOCOMMIT", vvs_reader=True)
    sa.event.listen(engine, "before_cursor_execute", _begin_before_writing)
    return engine


_NOT_READ = re.compile(r"^(?!\s*(SELECT|WITH|SHOW|VALUES)\b)|\b(INSERT|UPDATE|DELETE|SHARE|pg_advisory\w*)\b", re.I)


def _begin_before_writing(conn, cursor, statement, *_args):
    if (conn.get_execution_options().get("vvs_reader") and _NOT_READ.search(statement)
            and conn.connection.dbapi_connection.info.transaction_status == 0):  # idle: no transaction
        cursor.execute("BEGIN")


def _sqlite_engine(url: str, **kw):
    """SQLite for several threads at once (the web server's, the inline queue's).

    WAL lets readers go on while one connection writes; ``busy_timeout`` makes a writer
    wait for the lock instead of failing. pysqlite's own transaction handling is turned
    off (``isolation_level = None``) and SQLAlchemy emits BEGIN itself, as the SQLAlchemy
    documentation on pysqlite's transactions describes; a session bound to
    ``engine.writer`` begins ``BEGIN IMMEDIATE``: it takes the write lock (waiting for it)
    before reading anything, so it can never be refused half-way when it upgrades a read
    to a write ("database is locked" on a snapshot another writer moved). Requests that
    change something and the queue's tasks use it; a page (GET) begins a plain deferred
    BEGIN and, if it writes and meets that conflict, is run again by pyramid_retry with
    ``BEGIN IMMEDIATE`` (``vvs_core.web.errorpages``).
    """
    kw.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = sa.create_engine(url, **kw)

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        register_sqlite_functions(dbapi_conn)  # searches in SQL fold text as Python does

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        mode = conn.get_execution_options().get(BEGIN_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    engine.writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
    return engine


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None, writer: bool = False):
    """A session joined to ``transaction_manager``: it commits when the transaction does.

    ``writer``: on SQLite, the session's transaction begins ``BEGIN IMMEDIATE``."""
    kw = {}
    bind = session_factory.kw.get("bind")
    if getattr(bind, "writer" if writer else "reader", None) is not None:  # get_engine's, SQLite's or PostgreSQL's
        kw["bind"] = bind.writer if writer else bind.reader
    session = session_factory(info={"request": request}, **kw)
    zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
    return session


def writes_expected(request) -> bool:
    """A request that changes something, or a page run again after a write conflict."""
    return request.method not in SAFE_METHODS or request.environ.get("retry.attempt", 0) > 0


def registry_of_session(dbsession):
    """The application registry a session works for: its request's, else the current
    one (scripts and actors run inside ``pyramid.scripting.prepare``), else None."""
    request = (getattr(dbsession, "info", None) or {}).get("request")
    if request is not None:
        return request.registry
    from pyramid.threadlocal import get_current_registry

    registry = get_current_registry()
    return registry if getattr(registry, "vvs_plugins", None) is not None else None


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    from vvs_core.web.errorpages import execution_policy

    # pyramid_retry's policy, inside a last resort that answers the French 500 page.
    config.set_execution_policy(execution_policy(int(settings.get("retry.attempts") or 3)))
    registry = config.registry
    if registry.get("dbsession_factory") is None:
        engine = get_engine(settings["vvs.database_url"])
        registry["dbsession_factory"] = get_session_factory(engine)

    def dbsession(request):
        # Looked up per request so tests can bind the factory to their transaction.
        return get_tm_session(request.registry["dbsession_factory"], request.tm, request=request,
                              writer=writes_expected(request))

    config.add_request_method(dbsession, reify=True)
