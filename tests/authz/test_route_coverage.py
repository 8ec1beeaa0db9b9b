"""Every route is in an authorization test, and the public views are the reviewed ones.

A route counts as covered when the authorization tests (tests/authz/test_*.py) really
requested it: conftest.py records the *name* of the route each request of their
application matched (whatever the answer: 200, 302, 403, 404…). A name written in a
comment or a path prefix found in the sources proves nothing and counts for nothing.
This test runs after the others of the directory; it needs the whole directory.
"""
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REVIEWED_PUBLIC = HERE / "public_views.txt"
IGNORED_ROUTES = {"__static/", "__static_deform/", "__static_leaflet/"}


def routes_and_permissions(registry):
    introspector = registry.introspector
    out = {}
    for intr in introspector.get_category("views"):
        view = intr["introspectable"]
        route = view["route_name"]
        if route is None:
            continue
        perms = [r["value"] for r in introspector.related(view) if r.category_name == "permissions"]
        out.setdefault(route, set()).update(perms)
    patterns = {r["introspectable"]["name"]: r["introspectable"]["pattern"]
                for r in introspector.get_category("routes")}
    return out, patterns


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    # The route table does not depend on the database: SQLite is enough.
    from vvs_core.testing import build_app, migrated_url

    app = build_app(migrated_url("sqlite", tmp_path_factory.mktemp("db")))
    return routes_and_permissions(app.registry)


def test_every_route_is_requested_by_an_authorization_test(built):
    from route_recorder import RAN, REQUESTED

    modules = {p.name for p in HERE.glob("test_*.py")} - {Path(__file__).name}
    assert modules <= RAN, (f"run the whole tests/authz directory for this gate (not run: {sorted(modules - RAN)})")
    views, patterns = built
    missing = [f"{route} ({patterns.get(route)})" for route in sorted(views)
               if not route.startswith("__") and route not in REQUESTED]
    assert missing == [], "routes no authorization test requests: " + ", ".join(missing)


def test_public_views_are_the_reviewed_ones(built):
    views, _ = built
    public = sorted(route for route, perms in views.items() if "public" in perms and not route.startswith("__"))
    reviewed = sorted(line.split("#")[0].strip() for line in REVIEWED_PUBLIC.read_text().splitlines()
                      if line.split("#")[0].strip())
    assert public == reviewed, (
        "public views changed: review them and update tests/authz/public_views.txt\n"
        f"new: {sorted(set(public) - set(reviewed))}\ngone: {sorted(set(reviewed) - set(public))}"
    )
