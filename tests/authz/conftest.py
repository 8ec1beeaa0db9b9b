"""Records the name of every route the authorization tests request, for the
route-coverage gate (test_route_coverage.py, run last)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pyramid.interfaces import INewResponse

sys.path.insert(0, str(Path(__file__).parent))

from route_recorder import RAN, REQUESTED  # noqa: E402  (found through the path above)


def _recorder(event) -> None:
    route = getattr(event.request, "matched_route", None)
    module = event.request.registry.get("vvs.authz_test_module")
    if route is not None and module:
        REQUESTED.setdefault(route.name, set()).add(module)


@pytest.fixture(autouse=True)
def record_requested_routes(request):
    module = Path(str(request.node.fspath)).name
    RAN.add(module)
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    registry = app.registry
    if not registry.get("vvs.authz_recorder"):
        registry.registerHandler(_recorder, (INewResponse,))
        registry["vvs.authz_recorder"] = True
    registry["vvs.authz_test_module"] = module
    try:
        yield
    finally:
        registry["vvs.authz_test_module"] = None


def pytest_collection_modifyitems(items):
    """The coverage gate runs after every other test of this directory."""
    last = [i for i in items if Path(str(i.fspath)).name == "test_route_coverage.py"]
    items[:] = [i for i in items if i not in last] + last
