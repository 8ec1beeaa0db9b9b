"""Every route is in an authorization test, and the public views are the reviewed ones.

A route counts as covered when its name, or the fixed part of its path (up to the
first ``{``), appears in one of the tests/authz/test_*.py files other than this one.
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


def authz_sources() -> str:
    return "\n".join(p.read_text("utf-8") for p in HERE.glob("test_*.py") if p.name != Path(__file__).name)


def test_every_route_is_in_an_authorization_test(built):
    views, patterns = built
    sources = authz_sources()
    missing = []
    for route in sorted(views):
        if route.startswith("__"):
            continue
        prefix = patterns.get(route, "").split("{")[0]
        if route not in sources and (len(prefix) <= 1 or prefix not in sources):
            missing.append(f"{route} ({patterns.get(route)})")
    assert missing == [], "routes missing from tests/authz: " + ", ".join(missing)


def test_public_views_are_the_reviewed_ones(built):
    views, _ = built
    public = sorted(route for route, perms in views.items() if "public" in perms and not route.startswith("__"))
    reviewed = sorted(line.split("#")[0].strip() for line in REVIEWED_PUBLIC.read_text().splitlines()
                      if line.split("#")[0].strip())
    assert public == reviewed, (
        "public views changed: review them and update tests/authz/public_views.txt\n"
        f"new: {sorted(set(public) - set(reviewed))}\ngone: {sorted(set(reviewed) - set(public))}"
    )
