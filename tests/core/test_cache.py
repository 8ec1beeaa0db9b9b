"""The page cache (vvs_core/web/cache.py): what moves the data generation, when a cached
value is served or computed again, the shared generation in Redis, cached rows, and the
pages that rely on it showing a write at once."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from vvs_core.web import cache
from vvs_core.web.cache import PageCache, RedisGeneration, cache_url, cached_row, make_cache
from vvs_core.errors import ConfigurationError
from vvs_core.models import Community, CommunityEvent, Membership, User

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
    before = cache._local_generation
    dbsession.execute(sa.select(User.id).where(User.id == user.id)).all()
    assert cache._local_generation == before, "a SELECT moved the generation"

    user.first_name = "Changée"
    dbsession.flush()  # ORM
    after_orm = cache._local_generation
    assert after_orm != before
    dbsession.execute(sa.update(User).where(User.id == user.id).values(last_name="Core"))
    after_core = cache._local_generation
    assert after_core != after_orm
    dbsession.execute(sa.text("UPDATE users SET pseudonym = 'texte' WHERE id = :id"), {"id": user.id})
    assert cache._local_generation != after_core


def test_a_flush_that_fails_leaves_later_core_writes_noticed(dbsession, make_user):
    """A flush that raised (here a duplicate e-mail in a savepoint) must not leave the
    thread "flushing": every later Core and text write went unnoticed (the cache and
    session tests failed after the PCS test that checks its unique index so)."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    user, other = make_user(), make_user()
    with pytest.raises(IntegrityError):
        with dbsession.begin_nested():
            other.email = user.email
            dbsession.flush()
    before = cache._local_generation
    dbsession.execute(sa.update(User).where(User.id == user.id).values(last_name="Core"))
    assert cache._local_generation != before


def test_outbox_writes_do_not_move_the_generation():
    assert not cache._statement_write_keys("UPDATE notifications SET status = 'sent' WHERE id = 1")
    assert not cache._statement_write_keys('INSERT INTO "notifications" (id) VALUES (1)')
    # a fan-out writes its texts in every chunk: no page's cache may empty for that
    assert not cache._statement_write_keys("INSERT INTO notification_contents (digest) VALUES ('d') "
                                           "ON CONFLICT (digest) DO NOTHING")
    assert cache._statement_write_keys("INSERT INTO gazette_posts (id) VALUES (1)")
    assert cache._statement_write_keys("DELETE FROM memberships WHERE id = 1")
    assert cache._statement_write_keys("ALTER TABLE users ADD COLUMN x INTEGER")
    assert not cache._statement_write_keys("  select 1")
    assert not cache._statement_write_keys("SAVEPOINT sa_savepoint_1")


def test_a_rolled_back_savepoint_moves_the_generation(dbsession, make_user):
    user = make_user()
    nested = dbsession.begin_nested()
    user.first_name = "Provisoire"
    dbsession.flush()
    seen = cache._local_generation
    nested.rollback()
    assert cache._local_generation != seen


# --- Serving and computing again --------------------------------------------------

def test_a_value_is_served_until_a_write(dbsession, make_user):
    """A value that read nothing the cache can see depends on every write."""
    pc = PageCache(None, seconds=60)
    compute, calls = counting()
    assert pc.get(Request(), ("k",), compute) == "v"
    assert pc.get(Request(), ("k",), compute) == "v"
    assert len(calls) == 1 and pc.hits == 1
    make_user()  # any write
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 2


# --- Invalidation follows what changed (issue 16.4) ----------------------------------------

def reader(dbsession, statement):
    calls = []

    def compute():
        calls.append(1)
        return dbsession.execute(statement).scalar()
    return compute, calls


def test_a_value_depends_on_the_tables_it_read(dbsession, make_user, make_community):
    user = make_user(first_name="Aurélie")
    community = make_community("Les Noisetiers")
    pc = PageCache(None, seconds=60)
    compute, calls = reader(dbsession, sa.select(Community.name).where(Community.id == community.id))
    assert pc.get(Request(), ("name",), compute) == "Les Noisetiers"
    user.first_name = "Aurélie-Anne"  # another table
    dbsession.flush()
    dbsession.execute(sa.update(User).where(User.id == user.id).values(pseudonym="aurelie"))  # Core, another table
    assert pc.get(Request(), ("name",), compute) == "Les Noisetiers" and len(calls) == 1
    dbsession.execute(sa.update(Community).where(Community.id == community.id).values(name="Les Noyers"))
    assert pc.get(Request(), ("name",), compute) == "Les Noyers" and len(calls) == 2


def test_a_write_in_community_a_leaves_community_b_cached(dbsession, make_user, make_community):
    """Scoped values: a write to A's rows invalidates A's value, not B's; a write whose rows
    are unknown (a bulk UPDATE) invalidates both; an unscoped value follows every write."""
    alice, bruno = make_user(first_name="Alice"), make_user(first_name="Bruno")
    a = make_community("Les Acacias", members=[alice])
    b = make_community("Les Bouleaux", centre=(2.80, 48.85), members=[bruno])
    pc = PageCache(None, seconds=60)

    def members(community):
        return reader(dbsession, sa.select(sa.func.count(Membership.id)).where(
            Membership.community_id == community.id, Membership.status == "active"))

    page_a, calls_a = members(a)
    page_b, calls_b = members(b)
    everyone, calls_all = reader(dbsession, sa.select(sa.func.count(Membership.id)))
    pc.get(Request(), ("members", a.id), page_a, scope=("community", a.id))
    pc.get(Request(), ("members", b.id), page_b, scope=("community", b.id))
    pc.get(Request(), ("all",), everyone)
    newcomer = make_user(first_name="Chloé")
    dbsession.add(Membership(user_id=newcomer.id, community_id=a.id, role="member", status="active"))
    dbsession.flush()
    assert pc.get(Request(), ("members", a.id), page_a, scope=("community", a.id)) == 2 and len(calls_a) == 2
    assert pc.get(Request(), ("members", b.id), page_b, scope=("community", b.id)) == 1 and len(calls_b) == 1
    assert pc.get(Request(), ("all",), everyone) == 3 and len(calls_all) == 2
    a.name = "Les Grands Acacias"  # A's own row
    dbsession.flush()
    pc.get(Request(), ("members", b.id), page_b, scope=("community", b.id))
    assert len(calls_b) == 1
    dbsession.execute(sa.update(Membership).where(Membership.user_id == newcomer.id).values(role="member"))
    pc.get(Request(), ("members", b.id), page_b, scope=("community", b.id))
    assert len(calls_b) == 2  # which rows a bulk UPDATE touched is unknown: every scope


def test_a_moved_row_invalidates_both_communities(dbsession, make_user, make_community):
    alice = make_user()
    make_community("Les Acacias", members=[alice])
    b = make_community("Les Bouleaux", centre=(2.80, 48.85))
    pc = PageCache(None, seconds=60)
    page_b, calls_b = reader(dbsession, sa.select(sa.func.count(Membership.id)).where(Membership.community_id == b.id))
    pc.get(Request(), ("b",), page_b, scope=("community", b.id))
    membership = dbsession.scalar(sa.select(Membership).where(Membership.user_id == alice.id))
    membership.community_id = b.id  # from A to B: B's value changes
    dbsession.flush()
    assert pc.get(Request(), ("b",), page_b, scope=("community", b.id)) == 1 and len(calls_b) == 2


def test_reading_a_directory_empties_nobodys_cache(testapp, app_registry, dbsession, make_user, make_community,
                                                    commune_agent):
    """An agent reading hidden numbers writes an audit entry: the neighbours' cached pages
    (home, menu, their user rows) stay cached, elsewhere and in that community."""
    hider = make_user(first_name="Hélène", mobile="+33698765432", hide_mobile=True)
    neighbour = make_user(first_name="Noé")
    make_community("Les Tilleuls", members=[hider])
    make_community("Les Bouleaux", centre=(2.80, 48.85), members=[neighbour])
    agent = make_user(first_name="Agathe")
    directory_of = dbsession.scalar(sa.select(Membership.community_id).where(Membership.user_id == hider.id))
    pc = app_registry["vvs.page_cache"]
    with commune_agent(agent, "77449"):
        reader_app = type(testapp)(testapp.app)
        reader_app.login(agent)
        testapp.login(neighbour)
        testapp.get("/")
        testapp.get("/")  # cached now
        before = {key: entry for key, entry in pc.values.items() if neighbour.id in key or key[:2] == ("home", neighbour.id)}
        assert any(key[0] == "home" for key in before)
        assert "06 98 76 54 32" in reader_app.get(f"/communaute/{directory_of}/annuaire").text
        assert dbsession.scalar(sa.select(sa.func.count(CommunityEvent.id)).where(
            CommunityEvent.kind == "hidden_phone_viewed")) == 1
        hits = pc.hits
        testapp.get("/")
        assert pc.hits > hits
        for key, entry in before.items():
            assert pc.values.get(key) is entry, f"{key} was computed again"


def test_a_value_expires_after_cache_seconds(monkeypatch):
    now = [1000.0]  # the cache's clock, moved by the test (no sleep)
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=lambda: now[0]))
    pc = PageCache(None, seconds=0.05)
    compute, calls = counting()
    pc.get(Request(), ("k",), compute)
    now[0] += 0.04
    pc.get(Request(), ("k",), compute)
    assert len(calls) == 1  # still fresh
    now[0] += 0.02
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


def test_writes_elsewhere_while_computing_keep_the_value_a_write_to_it_does_not(shared):
    """Under steady writes (issue 16: 10 a second over the communities) a value computed
    while another community was written is kept once its dependencies are known; one whose
    own community was written while it was computed is served stale never (computed again)."""
    pc = PageCache(shared, seconds=60)
    other, own = RedisGeneration(REDIS_URL), ("community", 41)
    writes = []

    def compute():
        for key in writes:  # another process commits while this value is computed
            other.bump([cache.ANY_WRITE, key])
        return "Les Tilleuls 🌳"

    def get():
        return pc.get(Request(), ("page", 41), compute, tables=("memberships",), scope=own)

    writes[:] = ["t:memberships"]  # the first time its dependencies are unknown: not kept
    get()
    writes[:] = ["s:memberships:community:42"]  # then: a write in community 42 while computing
    misses = pc.misses
    assert get() == "Les Tilleuls 🌳" and pc.misses == misses + 1
    writes[:] = []
    hits = pc.hits
    get()
    assert pc.hits == hits + 1
    other.bump([cache.ANY_WRITE, "s:memberships:community:41"])  # its own community, then written during
    writes[:] = ["s:memberships:community:41"]
    get()
    writes[:] = []
    misses = pc.misses
    get()
    assert pc.misses == misses + 1  # the value computed during its own write was not served


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
        # A first value computed while something was written anywhere (another process of the
        # suite, through Redis) is kept expired, its dependencies only: the next read keeps it.
        dbsession.expunge_all()
        cached_row(request, User, user.id)
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
    page = " ".join(testapp.get("/").text.split())
    # no longer a member: the page says why, at once (not the cached card of the community)
    assert "Vous n’êtes membre d’aucune communauté" in page and "Choisir ma communauté" in page
    assert "Alertes" not in page.split("</nav>")[0]
    resident.status = "closed"  # a closed account is signed out on its next request
    dbsession.flush()
    assert testapp.get("/", status=302).location.endswith("/connexion")
