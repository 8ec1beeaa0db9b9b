"""The database of a migration test, on each backend: a file for SQLite, a fresh PostGIS
database dropped afterwards. ``from migration_db import database`` in the test module."""
import uuid

import pytest
import sqlalchemy as sa

from vvs_core.testing import fresh_database, postgis_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite'}"
        return
    name = f"{postgis_url().rsplit('/', 1)[-1]}_migration_{uuid.uuid4().hex[:6]}"
    url = fresh_database(name)
    yield url
    engine = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
