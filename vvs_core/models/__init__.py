"""Database models, engine and the per-request session (cookiecutter-pyramid style)."""
from __future__ import annotations

import sqlalchemy as sa
import zope.sqlalchemy
from sqlalchemy.orm import sessionmaker

from .community import VALIDATION_MODES, Commune, Community, CommunityEvent, Membership  # noqa: F401
from .geometry import Geometry  # noqa: F401
from .meta import Base  # noqa: F401
from .types import UTCDateTime  # noqa: F401
from .notification import Notification  # noqa: F401
from .user import Token, User  # noqa: F401
from .invitation import Invitation  # noqa: F401
from .api_token import ApiToken  # noqa: F401
from .push_subscription import PushSubscription  # noqa: F401
from .types import UTCDateTime
from .job import Job  # noqa: F401


def get_engine(url: str, **kw):
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = sa.create_engine(url, **kw)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, emit BEGIN: savepoints and DDL then behave.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN")

        return engine
    # Recycle rather than pre-ping: a ping is one more round trip on every request.
    kw.setdefault("pool_recycle", 1800)
    return sa.create_engine(url, **kw)


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to ``transaction_manager``: it commits when the transaction does."""
    session = session_factory(info={"request": request})
    zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
    return session


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    registry = config.registry
    if registry.get("dbsession_factory") is None:
        engine = get_engine(settings["vvs.database_url"])
        registry["dbsession_factory"] = get_session_factory(engine)

    def dbsession(request):
        # Looked up per request so tests can bind the factory to their transaction.
        return get_tm_session(request.registry["dbsession_factory"], request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
