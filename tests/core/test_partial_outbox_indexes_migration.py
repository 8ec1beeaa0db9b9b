"""Migration 0015 (issue 16, the fan-out) makes three indexes of ``notifications`` partial
— pending rows by due time, claimed rows by claim time, rows with a provider's reference —
and gives the full ones back on downgrade, on SQLite and on PostGIS."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)

# name → what its WHERE says (PostgreSQL spells it its own way: ``((status)::text = 'pending'::text)``)
PARTIAL = {"ix_notifications_pending_due": ("status", "= 'pending'"),
           "ix_notifications_status_claimed": ("claimed_at is not null",),
           "ix_notifications_provider_ref": ("provider_ref is not null",)}


def index_definitions(engine) -> dict[str, str]:
    """Each index of notifications: name → its SQL as the database keeps it."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'notifications'"))
        else:
            rows = conn.execute(sa.text("SELECT name, coalesce(sql, '') FROM sqlite_master "
                                        "WHERE type = 'index' AND tbl_name = 'notifications'"))
        return dict(rows.all())


def test_the_outbox_indexes_hold_only_what_they_are_read_for(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)
    found = index_definitions(engine)
    for name, words in PARTIAL.items():
        where = found[name].lower().split(" where ", 1)[1]
        assert all(word in where for word in words), (name, where)
    assert "ix_notifications_status_next" not in found
    command.downgrade(alembic_config(database, sorted(set(modules) | set(installed_module_names()))),
                      "0014_commune_time_zone")
    found = index_definitions(engine)
    assert "ix_notifications_pending_due" not in found
    for name in ("ix_notifications_status_next", "ix_notifications_status_claimed", "ix_notifications_provider_ref"):
        assert " where " not in found[name].lower()
    upgrade(database, modules)
    assert set(PARTIAL) <= set(index_definitions(engine))
    engine.dispose()
