"""The database of a migration test, on each backend: a file for SQLite, a fresh PostGIS
database dropped afterwards. ``from migration_db import database`` in the test module;
``column_comes_and_goes`` for a migration that adds a column."""
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names, fresh_database, postgis_url


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


def column_comes_and_goes(database: str, table: str, column: str, previous: str, kept: str) -> None:
    """Upgraded, ``table`` has ``column``; downgraded to revision ``previous``, it has not
    (and still has ``kept``); upgraded again, it has it again."""
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)

    def columns():
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}

    assert column in columns()
    command.downgrade(alembic_config(database, sorted(set(modules) | set(installed_module_names()))), previous)
    assert column not in columns() and kept in columns()
    upgrade(database, modules)
    assert column in columns()
    engine.dispose()
