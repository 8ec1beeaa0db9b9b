"""Migration 0014 (issue 13.1) adds ``communes.time_zone`` (NULL: the instance's zone)
and takes it away on downgrade, on SQLite and on PostGIS."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)


def test_a_communes_time_zone_comes_and_goes(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)

    def columns():
        return {c["name"] for c in sa.inspect(engine).get_columns("communes")}

    assert "time_zone" in columns()
    command.downgrade(alembic_config(database, sorted(set(modules) | set(installed_module_names()))),
                      "0013_suspended_until")
    assert "time_zone" not in columns() and "contact_phone" in columns()
    upgrade(database, modules)
    assert "time_zone" in columns()
    engine.dispose()
