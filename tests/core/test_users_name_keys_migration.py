"""Migration 0018 (issue 16) adds ``users.last_name_key`` and ``first_name_key``, the names
folded by the database, fills them for the accounts already there, keeps them when a name
changes, and goes away on downgrade, on SQLite and on PostGIS."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names
from vvs_core.web.textsearch import fold

from migration_db import database  # noqa: F401  (the fixture)

NAMES = [("Élodie", "Œdipe"), ("Jean", "d’Artagnan"), ("  Anne   Marie ", "ÉMILE-ZOLA"), ("🦊", "Ŀobo 😀"), ("", "")]


def test_the_name_keys_are_filled_kept_and_taken_away(database):
    modules = enabled_module_names(base_settings(database))
    config = alembic_config(database, sorted(set(modules) | set(installed_module_names())))
    upgrade(database, modules)
    command.downgrade(config, "0017_memberships_decided_index")
    engine = get_engine(database)
    with engine.begin() as conn:  # accounts from before the migration
        conn.execute(sa.text("INSERT INTO users (email, first_name, last_name, pseudonym, status, session_epoch, created_at)"
                             " VALUES (:email, :first, :last, '', 'active', 0, CURRENT_TIMESTAMP)"),
                     [{"email": f"n{i}@keys.test", "first": first, "last": last} for i, (first, last) in enumerate(NAMES)])
    upgrade(database, modules)

    def keys():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT first_name, last_name, first_name_key, last_name_key FROM users"
                                        " WHERE email LIKE '%@keys.test' ORDER BY id")).all()

    assert [(first_key, last_key) for _f, _l, first_key, last_key in keys()] == [
        (fold(first), fold(last)) for first, last in NAMES]
    with engine.begin() as conn:  # any writer, even plain SQL: the database keeps them
        conn.execute(sa.text("UPDATE users SET last_name = 'Ñandú' WHERE email = 'n0@keys.test'"))
    assert keys()[0][3] == "nandu"
    assert "ix_users_name_keys" in {i["name"] for i in sa.inspect(engine).get_indexes("users")}
    command.downgrade(config, "0017_memberships_decided_index")
    assert not {"first_name_key", "last_name_key"} & {c["name"] for c in sa.inspect(engine).get_columns("users")}
    engine.dispose()
