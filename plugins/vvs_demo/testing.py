"""A fresh PostGIS database holding the demo commune, for tests that need a whole world
(browser tests, the API's fuzzing)."""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from vvs_core.testing import base_settings, enabled_module_names, fresh_database, postgis_url


def demo_database(name: str, prepare=None) -> str:
    """``fresh_database(name)`` migrated for every enabled plugin, with the demo commune
    (the core's rows only: a test adds the plugins' part it needs); ``prepare(session)``
    may add to it before the commit. Its URL."""
    from vvs_core.app import load_settings
    from vvs_core.models import get_engine, get_session_factory
    from vvs_core.models.migrate import upgrade

    from .loader import load_demo

    url = fresh_database(name)
    upgrade(url, enabled_module_names(base_settings(url)), settings=base_settings(url))
    engine = get_engine(url)
    session = get_session_factory(engine)()
    try:
        load_demo(session, load_settings(base_settings(url))[0])  # the test settings name the plugins' own
        if prepare is not None:
            prepare(session)
        session.commit()
    finally:
        session.close()
        engine.dispose()
    return url


def _admin_url() -> str:
    return urlunsplit(urlsplit(postgis_url())._replace(scheme="postgresql", path="/postgres"))


def drop_database(name: str) -> None:
    """Drop the test server's database ``name`` (a session's demo database, at its end)."""
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


def drop_leftover_databases(prefix: str) -> list[str]:
    """Drop the ``<prefix><pid>`` databases whose test process is gone (a run killed before
    its end left them); those of a run still going (another worktree's, another worker's)
    and any other name are kept. The names dropped."""
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        names = [name for (name,) in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                                  (prefix,))]
    gone = [name for name in names if name[len(prefix):].isdigit() and not _alive(int(name[len(prefix):]))]
    for name in gone:
        drop_database(name)
    return gone
