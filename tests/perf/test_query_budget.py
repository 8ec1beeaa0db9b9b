"""A query budget per page: every page a signed-in user may open runs a bounded number of
SQL statements whatever the data (issue 16): home, alerts, gazette and community page at
most 6, every other page at most 10, for a resident, a référent, a mairie agent, a
moderator and an administrator, on a commune with hundreds of members (tests/perf/scale_world.py).

The pages come from the application's route table, not from a list kept by hand: every
route that answers GET, its placeholders filled with real ids of the data set. A new
placeholder fails the test until it is given a value here. Statements are counted with
SQLAlchemy's ``before_cursor_execute`` event, plus the few the code sends to the driver
itself (``vvs_core.geo``'s prepared point lookup). The page cache is off: the budget is
what a page costs right after a write.
"""
from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event

from vvs_core.testing import drop_queued_tasks
from world_app import signed_in, world_app

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

ROLES = ("resident", "referent", "agent", "moderator", "admin")
SMALL_BUDGET = 6
BUDGET = 10
# The pages residents open most: the tightest budget ("/alertes" sends a member to the
# alerts of their community).
SMALL_BUDGET_ROUTES = {"home", "alerts_home", "alerts_community", "gazette_index", "community"}
# Pages still above their budget, with the most statements any role's visit runs today:
# a ratchet (a page may not get worse, and leaves this list once within its budget).
# Empty since the plugin panels, dashboard widgets, feed counts and the GDPR archive's
# sections are read with the menu's badges in one statement (vvs_core.web.batch).
NOT_YET_WITHIN_BUDGET: dict[str, int] = {}
# Placeholders that name a secret in the URL: an unknown value exercises the page.
TOKEN_VALUE = "jeton-inconnu"
# The provider of the core's callback routes (/fournisseurs/{provider}/{token}/…).
PROVIDER_VALUE = "ovh"
# Routes whose placeholder means another table than the same name elsewhere.
ROUTE_IDS = {name: {"alert_id": "mairie_alert_id"} for name in (
    "mairie_alert", "mairie_alert_cap", "mairie_proof_csv", "mairie_proof_pdf")}
SAVEPOINTS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)
PLACEHOLDER = re.compile(r"{(\w+)(?::[^}]*)?}")


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []
        self.on = False

    def _seen(self, statement):
        # The test's own savepoints (each request runs in one) are not the page's.
        if self.on and not SAVEPOINTS.match(statement):
            self.count += 1
            self.statements.append(statement)

    def before_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        self._seen(statement)

    @contextmanager
    def installed(self, monkeypatch_driver):
        event.listen(self.engine, "before_cursor_execute", self.before_cursor_execute)
        original = psycopg.Connection.execute
        counter = self

        def execute(conn, query, *args, **kw):  # statements sent to the driver directly
            counter._seen(str(query))
            return original(conn, query, *args, **kw)

        monkeypatch_driver.setattr(psycopg.Connection, "execute", execute)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self.before_cursor_execute)

    @contextmanager
    def counting(self):
        self.count, self.statements, self.on = 0, [], True
        try:
            yield self
        finally:
            self.on = False


def get_routes(registry) -> dict[str, str]:
    """Route name → pattern of every route with a view that answers GET."""
    introspector = registry.introspector
    patterns = {r["introspectable"]["name"]: r["introspectable"]["pattern"]
                for r in introspector.get_category("routes")}
    out = {}
    for item in introspector.get_category("views"):
        view = item["introspectable"]
        name, methods = view["route_name"], view["request_methods"]
        if name is None or name.startswith("__"):
            continue
        if methods is None or "GET" in (methods if isinstance(methods, (tuple, list, set)) else (methods,)):
            out[name] = patterns[name]
    return out


def fill(name: str, pattern: str, ids: dict) -> str | None:
    overrides = ROUTE_IDS.get(name, {})

    def value(match):
        key = overrides.get(match.group(1), match.group(1))
        if key == "token":
            return TOKEN_VALUE
        if key == "provider":
            return PROVIDER_VALUE
        if key not in ids:
            raise KeyError(key)
        return str(ids[key])

    try:
        return PLACEHOLDER.sub(value, pattern)
    except KeyError:
        return None


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """{role: {route: (path, status, statements)}} on the big commune."""
    with world_app(tmp_path_factory) as (app, world, engine):
        monkeypatch = pytest.MonkeyPatch()
        try:
            routes = get_routes(app.registry)
            unresolved = sorted(name for name, pattern in routes.items() if fill(name, pattern, world.ids) is None)
            assert unresolved == [], f"give these placeholders a value in scale_world / ROUTE_IDS: {unresolved}"
            results, timings = {}, {}
            counter = StatementCounter(engine)
            with counter.installed(monkeypatch):
                for role in ROLES:
                    testapp = signed_in(app, world, role)
                    results[role] = {}
                    for name, pattern in sorted(routes.items()):
                        path = fill(name, pattern, world.ids)
                        started = time.perf_counter()
                        with counter.counting():
                            response = testapp.get(path, expect_errors=True)
                        elapsed = round((time.perf_counter() - started) * 1000, 1)
                        timings.setdefault(role, {})[name] = [counter.count, elapsed]
                        results[role][name] = (path, response.status_int, counter.count, list(counter.statements))
                    drop_queued_tasks()
            # statements and milliseconds of every page, for docs/performance.md
            if os.environ.get("VVS_BUDGET_REPORT"):
                Path(os.environ["VVS_BUDGET_REPORT"]).write_text(json.dumps(timings, indent=1, sort_keys=True))
            yield results
        finally:
            monkeypatch.undo()


def budget_of(route: str) -> int:
    if route in NOT_YET_WITHIN_BUDGET:
        return NOT_YET_WITHIN_BUDGET[route]
    return SMALL_BUDGET if route in SMALL_BUDGET_ROUTES else BUDGET


def test_the_pages_not_yet_within_budget_are_still_over_it(measured):
    """When a listed page gets within its budget, take it off NOT_YET_WITHIN_BUDGET."""
    target = {route: SMALL_BUDGET if route in SMALL_BUDGET_ROUTES else BUDGET for route in NOT_YET_WITHIN_BUDGET}
    worst = {route: max(pages[route][2] for pages in measured.values()) for route in NOT_YET_WITHIN_BUDGET}
    within = sorted(route for route in NOT_YET_WITHIN_BUDGET if worst[route] <= target[route])
    assert within == [], f"within budget now: {within} ({worst})"


def table(results) -> str:
    lines = []
    for role, pages in results.items():
        for route, (path, status, count, _s) in sorted(pages.items(), key=lambda kv: -kv[1][2]):
            lines.append(f"{count:4d} {role:9s} {status} {route} {path}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_stays_within_its_query_budget(measured, role):
    over = {route: (path, status, count, statements) for route, (path, status, count, statements)
            in measured[role].items() if count > budget_of(route)}
    detail = "\n\n".join(f"{route} {path} ({status}): {count} statements > {budget_of(route)}\n  "
                         + "\n  ".join(s[:160].replace("\n", " ") for s in statements)
                         for route, (path, status, count, statements) in sorted(over.items()))
    assert not over, detail


def test_no_page_fails(measured):
    failed = sorted(f"{role} {path}" for role, pages in measured.items() for route, (path, status, _c, _s)
                    in pages.items() if status >= 500)
    assert failed == []


def test_the_pages_were_really_opened(measured):
    """The budget means little on a page that refused everyone: each main page answered 200."""
    for role, route in (("resident", "home"), ("resident", "alerts_community"), ("resident", "gazette_index"),
                        ("resident", "community"), ("referent", "directory"), ("referent", "messaging_inbox"),
                        ("referent", "messaging_conversation"), ("agent", "mairie_dashboard"),
                        ("agent", "mairie_report"), ("moderator", "alerts_moderation"), ("admin", "admin_requests"),
                        ("resident", "signup_community")):
        path, status, _count, _s = measured[role][route]
        assert status == 200, f"{role} {path}: {status}"


def test_print_statements(measured, capsys):
    """Not a check: VVS_PROBE="role route" prints that page's statements."""
    for probe in filter(None, os.environ.get("VVS_PROBE", "").split(";")):
        role, route = probe.split()
        with capsys.disabled():
            print(f"\n== {role} {route}\n" + "\n".join(s[:int(os.environ.get("VVS_PROBE_WIDTH", 300))].replace("\n", " ")
                                                                 for s in measured[role][route][3]))


def test_print_the_counts(measured, capsys):
    """Not a check: the counts of every page, for docs/performance.md (run with -s)."""
    with capsys.disabled():
        print("\n" + table(measured))
