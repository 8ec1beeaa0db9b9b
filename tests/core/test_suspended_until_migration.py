"""Migration 0013 (issue 13.2) adds ``users.suspended_until``, the end of an account
suspension, and takes it away on downgrade, on SQLite and on PostGIS."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)


def test_the_end_of_a_suspension_comes_and_goes(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)

    def columns():
        return {c["name"] for c in sa.inspect(engine).get_columns("users")}

    assert "suspended_until" in columns()
    command.downgrade(alembic_config(database, sorted(set(modules) | set(installed_module_names()))),
                      "0012_interest_spelling")
    assert "suspended_until" not in columns() and "status" in columns()
    upgrade(database, modules)
    assert "suspended_until" in columns()
    engine.dispose()
