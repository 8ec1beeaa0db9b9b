"""The local feed server (tests/warnings_feeds.py) with the sample feeds, and the
mairie's fixtures (vvs_warnings relays through vvs_mairie's hooks)."""
from __future__ import annotations

import pytest

from vvs_mairie.testing import agent_login, mairie  # noqa: F401

from warnings_feeds import FeedServer, read_sample


@pytest.fixture(scope="session")
def feed_server_session():
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def feed_server(feed_server_session):
    feed_server_session.files.clear()
    feed_server_session.hits.clear()
    return feed_server_session


@pytest.fixture
def sample():
    """``sample(name, **values)``: a sample file's bytes, its ``{value}`` fields filled."""
    return read_sample
