"""What the authorization tests requested (filled by conftest.py, read by test_route_coverage.py)."""
REQUESTED: dict[str, set[str]] = {}  # route name → the test modules that requested it
RAN: set[str] = set()  # the test modules of tests/authz that ran
