"""``vvs db upgrade`` on SQLite (``make run``) prints no SAWarning: a migration that copies a
table (``batch_alter_table``) reflects that table alone (``reflect_kwargs={"resolve_fks":
False}``), not ``users`` through its keys, whose index on ``lower(email)`` SQLAlchemy
cannot reflect (« Skipped unsupported reflection of expression-based index
ix_users_email_lower »). The index itself survives every upgrade and downgrade."""
import warnings

import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names


def test_an_upgrade_on_sqlite_warns_of_nothing_and_keeps_the_email_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'vvs.sqlite'}"
    modules = enabled_module_names(base_settings(url))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sa.exc.SAWarning)
        upgrade(url, modules)
        command.downgrade(alembic_config(url, sorted(set(modules) | set(installed_module_names()))), "base")
        upgrade(url, modules)
    assert [str(w.message) for w in caught if issubclass(w.category, sa.exc.SAWarning)] == []
    engine = get_engine(url)
    with engine.connect() as conn:
        indexes = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'")
        assert "ix_users_email_lower" in {name for (name,) in indexes}
    engine.dispose()
