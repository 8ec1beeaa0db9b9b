"""Fixtures of the reliability tests: the machine loaded on every core for the whole
test (``VVS_TEST_CPU_HOG=0`` turns it off, to compare), and a private Redis server for
the session, so that no other suite or person sees these queues."""
from __future__ import annotations

import os

import pytest
import redis
from services import CpuHog, RedisServer


@pytest.fixture(autouse=True)
def cpu_hog():
    """One process spinning per core, from before the workers start until the end."""
    if os.environ.get("VVS_TEST_CPU_HOG", "1") == "0":
        yield None
        return
    hog = CpuHog().start()
    try:
        yield hog
    finally:
        hog.stop()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    """The URL of a redis-server of this session (the suite's Redis without the binary)."""
    if not RedisServer.available():
        yield os.environ.get("VVS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(private_redis):
    """An empty Redis database for one test (unreachable Redis: the test fails here)."""
    client = redis.Redis.from_url(private_redis)
    client.flushdb()
    yield private_redis
    client.flushdb()
    client.close()
