"""Migrations 0016 and 0017 (issue 16) add ``ix_users_closed``, the partial index of the
closed accounts that member counts subtract, and ``ix_memberships_community_status_decided``
(a commune's new members by date), and take them away on downgrade, on SQLite and on
PostGIS."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)


def test_the_indexes_of_closed_accounts_and_decisions_come_and_go(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)

    def indexes():
        return {i["name"]: i for i in sa.inspect(engine).get_indexes("users")}

    assert indexes()["ix_users_closed"]["column_names"] == ["id"]
    with engine.connect() as conn:  # partial: the closed accounts only
        if engine.dialect.name == "postgresql":
            definition = conn.scalar(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_users_closed'"))
        else:
            definition = conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'ix_users_closed'"))
    assert "closed" in definition and "WHERE" in definition.upper()
    decided = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("memberships")}
    assert decided["ix_memberships_community_status_decided"] == ["community_id", "status", "decided_at"]
    command.downgrade(alembic_config(database, sorted(set(modules) | set(installed_module_names()))),
                      "0015_partial_outbox_indexes")
    assert "ix_users_closed" not in indexes()
    assert "ix_memberships_community_status_decided" not in {i["name"] for i in sa.inspect(engine).get_indexes("memberships")}
    upgrade(database, modules)
    assert "ix_users_closed" in indexes()
    engine.dispose()
