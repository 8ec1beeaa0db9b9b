"""The open reports of alerts (vvs_alerts 0006), gazette posts (vvs_gazette 0003) and
messages (vvs_messaging 0002) are indexed apart, each by its plugin's migration: the
moderators' badges count them there, on SQLite and on PostGIS (where tests/perf/test_plans.py
reads the plans of a loaded database). Downgraded, the indexes go (and the index of
``alert_reports.handled`` comes back); upgraded again, they are back."""
import sqlalchemy as sa
from alembic import command

from vvs_core.models import get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)

OPEN = {"ix_alert_reports_open": ("alert_reports", "handled is"),
        "ix_gazette_reports_open": ("gazette_reports", "resolved_at is null"),
        "ix_msg_reports_open": ("msg_reports", "resolved_at is null")}
BEFORE = ("0005_vvs_alerts_held_index", "0002_vvs_gazette_page_index", "0001_vvs_messaging")


def index_definitions(engine) -> dict[str, str]:
    tables = sorted({table for table, _where in OPEN.values()})
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"),
                                {"t": tables})
        else:
            rows = conn.execute(sa.text("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name IN ('alert_reports', 'gazette_reports', 'msg_reports')"))
        return {name: sql.lower() for name, sql in rows.all()}


def badges_plans(engine) -> dict[str, str]:
    """SQLite's plan of each badge's count, as the plugins write it."""
    from types import SimpleNamespace

    from vvs_alerts.moderation import queue_size_sql
    from vvs_gazette.moderation import open_reports_count_sql as gazette_badge
    from vvs_messaging.reports import open_reports_count_sql as messages_badge

    moderator = SimpleNamespace(id=1)
    out = {}
    with engine.connect() as conn:
        for name, count in (("ix_alert_reports_open", queue_size_sql(moderator, {"role:moderator"})),
                            ("ix_gazette_reports_open", gazette_badge()), ("ix_msg_reports_open", messages_badge())):
            compiled = sa.select(count).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
            out[name] = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    return out


def test_the_open_reports_have_their_own_indexes(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    engine = get_engine(database)
    found = index_definitions(engine)
    for name, (_table, where) in OPEN.items():
        assert where in found[name].split(" where ", 1)[1], (name, found[name])
    assert "ix_alert_reports_handled" not in found
    if engine.dialect.name == "sqlite":
        plans = badges_plans(engine)
        assert {name: name in plan for name, plan in plans.items()} == dict.fromkeys(OPEN, True), plans
    config = alembic_config(database, sorted(set(modules) | set(installed_module_names())))
    for revision in BEFORE:
        command.downgrade(config, revision)
    found = index_definitions(engine)
    assert not set(OPEN) & set(found) and "ix_alert_reports_handled" in found
    upgrade(database, modules)
    assert set(OPEN) <= set(index_definitions(engine))
    engine.dispose()
