"""The fixtures of a fake provider service (a ``vvs_core.testing.FakeHTTPService``), for
the fakes under tests/plugins (a module of tests/, on the path of every test)."""
from __future__ import annotations

import pytest


def fake_fixtures(make, name: str):
    """``(name, fresh_name)`` fixtures of the fake that ``make()`` starts: ``name``, one
    server for the whole session (its port lives in the test app's settings), emptied
    before and after each test; ``fresh_name``, a server of its own, closed after the
    test (for a test that takes it down)."""
    started = []

    @pytest.fixture(name=name)
    def shared():
        if not started:
            started.append(make())
        fake = started[0]
        fake.reset()
        yield fake
        fake.reset()

    @pytest.fixture(name=f"fresh_{name}")
    def fresh():
        fake = make()
        yield fake
        fake.close()

    return shared, fresh
