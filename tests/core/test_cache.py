"""The page cache (vvs_core/cache.py): what moves the data generation, when a cached
value is served or computed again, the shared generation in Redis, cached rows, and the
pages that rely on it showing a write at once."""
from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from vvs_core import cache
from vvs_core.cache import PageCache, RedisGeneration, cache_url, cached_row, local_generation, make_cache
from vvs_core.errors import ConfigurationError
from vvs_core.models import Membership, User

REDIS_URL = os.environ.get("VVS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Request:
    """What PageCache reads of a request: its ``__dict__`` (the shared generation, once)."""


def counting(value="v"):
    calls = []

    def compute():
        calls.append(1)
        return value
    return compute, calls


# --- What moves the generation -------------------------------------------------

def test_orm_core_and_text_writes_move_the_generation_reads_do_not(dbsession, make_user):
    user = make_user()
    before = local_generation()
    dbsession.execute(sa.select(User.id).where(User.id == user.id)).all()
    assert local_generation() == before, "a SELECT moved the generation"

    user.first_name = "Changée"
    dbsession.flush()  # ORM
    after_orm = local_generation()
    assert after_orm != before
    dbsession.execute(sa.update(User).where(User.id == user.id).values(last_name="Core"))
    after_core = local_generation()
    assert after_core != after_orm
    dbsession.execute(sa.text("UPDATE users SET pseudonym = 'texte' WHERE id = :id"), {"id": user.id})
    assert local_generation() != after_core


def test_outbox_writes_do_not_move_the_generation():
    assert not cache._writes_cached_data("UPDATE notifications SET status = 'sent' WHERE id = 1")
    assert not cache._writes_cached_data('INSERT INTO "notifications" (id) VALUES (1)')
    assert cache._writes_cached_data("INSERT INTO gazette_posts (id) VALUES (1)")
    assert cache._writes_cached_data("DELETE FROM memberships WHERE id = 1")
    assert cache._writes_cached_data("ALTER TABLE users ADD COLUMN x INTEGER")
    assert not cache._writes_cached_data("  select 1")
    assert not cache._writes_cached_data("SAVEPOINT sa_savepoint_1")


def test_a_rolled_back_savepoint_moves_the_generation(dbsession, make_user):
    user = make_user()
    nested = dbsession.begin_nested()
    user.first_name = "Provisoire"
    dbsession.flush()
    seen = local_generation()
    nested.rollback()
    assert local_generation() != seen


# --- Serving and computing again --------------------------------------------------

def test_a_value_is_served_until_a_write(dbsession, make_user):
    pc = PageCache(None, seconds=60)
    compute, calls = counting()
    assert pc.get(Request(), ("k",), compute) == "v"
    assert pc.get(Request(), ("k",), compute) == "v"
    assert len(calls) == 1 and pc.hits == 1
    make_user()  # any write
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 2


def test_a_value_expires_after_cache_seconds():
    pc = PageCache(None, seconds=0.05)
    compute, calls = counting()
    pc.get(Request(), ("k",), compute)
    time.sleep(0.06)
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 2


def test_keys_are_separate_and_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    pc = PageCache(None, seconds=60)
    for n in range(5):
        pc.get(Request(), ("user", n), lambda n=n: n)
    assert len(pc.values) == 3 and ("user", 4) in pc.values and ("user", 0) not in pc.values
    assert pc.get(Request(), ("user", 4), lambda: "other") == 4


def test_disabled_cache_always_computes():
    pc = make_cache({"vvs.cache_url": "none"})
    compute, calls = counting()
    pc.get(Request(), ("k",), compute)
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 2
    zero = make_cache({"vvs.cache_url": "memory://", "vvs.cache_seconds": 0})
    assert not zero.enabled


def test_cache_url_follows_the_broker_when_left_empty():
    assert cache_url({"vvs.broker_url": "inline"}) == "memory://"
    assert cache_url({"vvs.broker_url": "redis://h:6379/2"}) == "redis://h:6379/2"
    assert cache_url({"vvs.broker_url": "amqp://h"}) == "none"
    assert cache_url({"vvs.broker_url": "amqp://h", "vvs.cache_url": "redis://x/1"}) == "redis://x/1"
    with pytest.raises(ConfigurationError, match="vvs.cache_url"):
        make_cache({"vvs.cache_url": "memcached://h"})


# --- The shared generation (several processes) ----------------------------------------

@pytest.fixture
def shared():
    generation = cache.shared_generation(REDIS_URL)
    try:
        generation.client.ping()
    except Exception:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: run the suite with `make test`")
    return generation


def test_a_committed_write_moves_the_shared_generation(shared, engine):
    before = shared.read()
    with engine.connect() as conn:  # its own transaction, committed: as another process would
        conn.execute(sa.text("CREATE TEMPORARY TABLE cache_probe (id INTEGER)"))
        conn.commit()
    assert shared.read() != before


def test_another_process_write_invalidates_through_redis(shared):
    """Two web processes: the value cached by one is computed again once the other
    committed a write (simulated by moving the Redis counter, which is what its commit does)."""
    pc = PageCache(shared, seconds=60)
    compute, calls = counting()
    pc.get(Request(), ("k",), compute)
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 1
    RedisGeneration(REDIS_URL).bump()  # the other process
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 2


def test_a_flushed_redis_restarts_from_a_random_point(shared):
    shared.client.delete(RedisGeneration.KEY)
    first = shared.read()
    shared.client.delete(RedisGeneration.KEY)
    assert shared.read() != first and first > 1000


def test_redis_down_serves_uncached_without_error():
    pc = PageCache(RedisGeneration("redis://127.0.0.1:1/0"), seconds=60)
    compute, calls = counting()
    assert pc.get(Request(), ("k",), compute) == "v"
    assert pc.get(Request(), ("k",), compute) == "v"
    assert len(calls) == 2 and not pc.values
    RedisGeneration("redis://127.0.0.1:1/0").bump()  # logged, not raised


# --- Cached rows ----------------------------------------------------------------------

def test_cached_row_needs_no_query_and_can_be_changed(app_registry, dbsession, make_user):
    from pyramid.scripting import prepare

    user = make_user(first_name="Avant")
    env = prepare(registry=app_registry)
    request = env["request"]
    request.dbsession = dbsession
    try:
        first = cached_row(request, User, user.id)
        assert first.first_name == "Avant"
        dbsession.expunge_all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(dbsession.get_bind(), "before_cursor_execute", listener)
        try:
            again = cached_row(request, User, user.id)
            assert again.first_name == "Avant" and again in dbsession
            assert not statements, statements
            again.first_name = "Après"
            dbsession.flush()
            assert any(s.startswith("UPDATE users") for s in statements)
        finally:
            sa.event.remove(dbsession.get_bind(), "before_cursor_execute", listener)
        dbsession.expunge_all()
        assert cached_row(request, User, user.id).first_name == "Après"  # the write invalidated the copy
        assert cached_row(request, User, 987654321) is None
    finally:
        env["closer"]()


# --- Pages show a write at once ---------------------------------------------------------

def test_home_and_menu_show_writes_at_once(testapp, dbsession, make_user, make_community):
    resident = make_user(first_name="Lucie")
    community = make_community("Les Tilleuls", members=[resident])
    testapp.login(resident)
    assert "Les Tilleuls" in testapp.get("/").text
    community.name = "Les Grands Tilleuls"
    dbsession.flush()
    assert "Les Grands Tilleuls" in testapp.get("/").text
    membership = dbsession.scalar(sa.select(Membership).where(Membership.user_id == resident.id))
    membership.status = "left"
    dbsession.flush()
    page = testapp.get("/")
    assert "Les Grands Tilleuls" not in page.text and "Alertes" not in page.text.split("</nav>")[0]
    resident.status = "closed"  # a closed account is signed out on its next request
    dbsession.flush()
    assert testapp.get("/", status=302).location.endswith("/connexion")
