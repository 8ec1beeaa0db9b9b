"""A new migrated PostGIS database for a module of the performance tests, whose work is
rolled back at the end."""
from __future__ import annotations

from contextlib import contextmanager

from vvs_core.models import get_engine
from vvs_core.testing import migrated_url


@contextmanager
def rolled_back(tmp_path_factory):
    """(url, engine, connection): a new migrated PostGIS database and a connection to it in
    a transaction, rolled back after the block."""
    url = migrated_url("postgis", tmp_path_factory.mktemp("db"))
    engine = get_engine(url)
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield url, engine, connection
    finally:
        outer.rollback()
        connection.close()
        engine.dispose()
