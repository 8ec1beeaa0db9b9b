"""Test support for vvs and for plugin authors.

Fixtures (load with ``pytest_plugins = ["vvs_core.testing"]``):
- ``backend`` / ``db_url``: each test using them runs twice, on SQLite (Shapely
  geometry) and on PostgreSQL + PostGIS (``VVS_TEST_DATABASE_URL``); migrations run
  once per backend per session.
- ``dbsession``: a session inside a transaction rolled back after the test.
- ``app_registry``, ``testapp``: the real application (every installed plugin) bound
  to that transaction; ``testapp.login(user)`` signs in.
- ``make_user``, ``make_community``: small factories.
- ``run_tasks(registry)``: runs the queued dramatiq messages in this thread.
- ``read_mails(folder)``, ``mail_text(message)``, ``pdf_text(pdf)``: what was sent or printed, as text.
- ``clock``: stops the application's clock (``vvs_core.clock``) at a chosen moment and
  moves it: ``clock.set_local(2026, 7, 14, 23, 30)`` (in ``vvs.timezone``),
  ``clock.set(aware_datetime)``, ``clock.advance(minutes=5)``; it runs again after the test.
Provider contract suites, one per kind (``SMSSenderContract``… ``IdentityVerifierContract``):
they drive a fake of the provider's service (``FakeHTTPService``); docs/providers.md.
"""

import contextlib
import email
import glob
import os
import re
import socket
import tempfile
import time
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dramatiq
import pytest
from argon2 import PasswordHasher

from vvs_core import clock as _clock
from vvs_core.accounts import security as _security

TEST_SECRET = "test-secret-" + "x" * 40


# Tests log in hundreds of times: argon2 with minimal cost there (the hash records its
# parameters, so production verification is unaffected).
_security.pin_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
DEMO_PASSWORD = "un voisin attentif 2026"


def base_settings(database_url: str, **overrides) -> dict:
    tmp = tempfile.mkdtemp(prefix="vvs-test-")
    settings = {
        "vvs.database_url": database_url,
        "vvs.broker_url": "inline",
        "vvs.secret": TEST_SECRET,
        "vvs.secure_cookies": "false",
        "vvs.email.folder": os.path.join(tmp, "mail"),
        "vvs.push.provider": "log",
        "vvs.plugins": "*",
        "vvs.public_url": "http://localhost",
    }
    settings.update(overrides)
    return settings


def postgis_url() -> str:
    """The PostGIS test database. Without one, the PostGIS variants skip with one line, so
    a plugin's tests run on SQLite alone; vvs's own `make test` sets
    ``VVS_TEST_REQUIRE_POSTGIS``, and then a missing database is a failure."""
    url = os.environ.get("VVS_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("VVS_TEST_REQUIRE_POSTGIS"):
            pytest.fail("VVS_TEST_DATABASE_URL is not set: run the suite with `make test` (it starts PostGIS)")
        pytest.skip("PostGIS variant: no database configured (set VVS_TEST_DATABASE_URL to run it)")
    return url


def enabled_module_names(settings) -> list[str]:
    from .app import load_settings
    from .plugins import plugin_module_name

    _s, pm, _d, names, _specs = load_settings(dict(settings))
    return [plugin_module_name(pm, n) for n in names]


_migrated: dict = {}


def migrated_url(backend: str, tmp_root: Path) -> str:
    if backend in _migrated:
        return _migrated[backend]
    if backend == "sqlite":
        url = f"sqlite:///{tmp_root / 'vvs-test.sqlite'}"
    else:
        url = postgis_url()
    from vvs_core.models.migrate import upgrade

    upgrade(url, enabled_module_names(base_settings(url)), settings=base_settings(url))
    _migrated[backend] = url
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgis"])
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def db_url(backend, tmp_path_factory):
    return migrated_url(backend, tmp_path_factory.mktemp("db"))


_engines: dict = {}


@pytest.fixture(scope="session")
def engine(db_url):
    from .models import get_engine

    if db_url not in _engines:
        _engines[db_url] = get_engine(db_url)
    return _engines[db_url]


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session_factory(connection):
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def dbsession(session_factory):
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


_apps: dict = {}


def app_settings(db_url: str, **overrides) -> dict:
    """``base_settings`` for an application served to the tests (``build_app``, the browser
    tests' server). A proof of address is required by default (issue
    13.4); the tests of the validation flows, written before, run with every plugin and
    say "none" here. The proof itself is tested with the real default in the verification plugin's tests."""
    settings = base_settings(db_url, **overrides)
    if settings["vvs.plugins"] == "*":
        settings.setdefault("vvs.kyc.required", "none")
    return settings


def build_app(db_url: str, **overrides):
    from . import make_config

    config = make_config(app_settings(db_url, **overrides))
    return config.make_wsgi_app()


def build_app_on_session(db_url: str, session_factory, plugins: str):
    """The application with only ``plugins`` enabled (``vvs.plugins``), reading and writing
    through the test's ``session_factory`` (what a test wrote is there; rolled back after)."""
    wsgi = build_app(db_url, **{"vvs.plugins": plugins})
    wsgi.registry["dbsession_factory"] = session_factory
    wsgi.registry["vvs.ratelimit_store"] = None
    return wsgi


@contextlib.contextmanager
def app_on_session(db_url: str, session_factory, **settings):
    """The application (built once per database and ``settings``) on the test's
    ``session_factory``, with fresh rate limits, running its tasks on its own broker (an app
    or a test's broker since may have taken dramatiq's global one and actors); left as it was after."""
    from vvs_core.jobs.tasks import set_task_registry, use_broker

    key = (db_url, *sorted(settings.items()))
    if key not in _apps:
        _apps[key] = build_app(db_url, **settings), dramatiq.get_broker()
    wsgi, broker = _apps[key]
    use_broker(broker)
    saved, wsgi.registry["dbsession_factory"] = wsgi.registry["dbsession_factory"], session_factory
    wsgi.registry["vvs.ratelimit_store"] = None
    set_task_registry(wsgi.registry)
    try:
        yield wsgi
    finally:
        wsgi.registry["dbsession_factory"] = saved
        drop_queued_tasks()


@pytest.fixture
def app(db_url, session_factory):
    with app_on_session(db_url, session_factory) as wsgi:
        yield wsgi


@pytest.fixture
def app_registry(app):
    return app.registry


@pytest.fixture
def app_request(app_registry, dbsession):
    """A real request on the app's registry, on the test's session (for code that takes
    a request without going through a page)."""
    import transaction
    from pyramid.scripting import prepare

    env = prepare(registry=app_registry)
    req = env["request"]
    req.dbsession = dbsession
    req.tm = transaction.TransactionManager(explicit=True)
    req.tm.begin()
    yield req
    req.tm.abort()
    env["closer"]()


class VVSTestApp:
    """WebTest's TestApp with helpers to sign in and to post forms with their token."""

    def __init__(self, wsgi):
        import webtest

        self.wsgi = wsgi
        self.t = webtest.TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def __getattr__(self, name):
        return getattr(self.t, name)

    def login(self, user_or_email, password: str = DEMO_PASSWORD):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        page = self.t.get("/connexion")
        form = page.forms["deform"]
        form["email"] = email
        form["password"] = password
        response = form.submit("submit")
        assert response.status_int in (302, 303), response.text[:2000]
        return response

    def csrf(self) -> str:
        page = self.t.get("/charte")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        return match.group(1) if match else ""

    def post_csrf(self, url, params=None, **kw):
        params = dict(params or {})
        params.setdefault("csrf_token", self.csrf())
        return self.t.post(url, params, **kw)


@pytest.fixture
def testapp(app):
    return VVSTestApp(app)


@pytest.fixture
def make_user(dbsession):
    from .models import User
    from vvs_core.accounts.security import hash_password

    counter = {"n": 0}
    hashed = {}

    def factory(email=None, password=DEMO_PASSWORD, **fields):
        counter["n"] += 1
        if password not in hashed:
            hashed[password] = hash_password(password)
        user = User(
            email=email or f"user{counter['n']}-{os.urandom(3).hex()}@example.test",
            password_hash=hashed[password],
            first_name=fields.pop("first_name", "Prénom-" + "".join("abcdefghij"[int(d)] for d in str(counter["n"]))),
            last_name=fields.pop("last_name", "Testeur"),
            pseudonym=fields.pop("pseudonym", f"voisin{counter['n']}"),
            mobile=fields.pop("mobile", f"+3361234{counter['n']:04d}"),
            **fields,
        )
        dbsession.add(user)
        dbsession.flush()
        return user

    return factory


SERRIS = (2.7861, 48.8453)


@pytest.fixture
def commune(dbsession):
    from shapely.geometry import Point

    from .models import Commune

    c = Commune(insee="77449", name="Serris", postcodes=["77700"], centre=Point(*SERRIS))
    dbsession.add(c)
    dbsession.flush()
    return c


@pytest.fixture
def make_community(dbsession, commune):
    from .geo import square_around
    from .models import Community, Membership

    def factory(name="Quartier test", centre=SERRIS, side_m=300, members=(), referents=(), **fields):
        community = Community(commune_id=commune.id, name=name, boundary=square_around(centre, side_m), **fields)
        dbsession.add(community)
        dbsession.flush()
        for user in members:
            dbsession.add(Membership(user_id=user.id, community_id=community.id, status="active"))
        for user in referents:
            dbsession.add(Membership(user_id=user.id, community_id=community.id, status="active", role="referent"))
        dbsession.flush()
        return community

    return factory


def run_tasks(max_rounds: int = 20) -> int:
    """Run the messages queued on the inline (stub) broker in this thread, including
    the ones they enqueue and delayed ones; returns how many ran."""
    broker = dramatiq.get_broker()
    ran = 0
    for _ in range(max_rounds):
        pending = []
        for queue in list(broker.queues.values()):  # includes the ".DQ" delay queues
            while not queue.empty():
                pending.append(queue.get_nowait())
        if not pending:
            break
        for raw in pending:
            message = dramatiq.Message.decode(raw)
            actor = broker.get_actor(message.actor_name)
            actor.fn(*message.args, **message.kwargs)
            ran += 1
    return ran


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    """The first truthy answer of ``predicate()`` within ``timeout`` seconds, else its
    last answer (falsy): tests wait for a condition, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(interval)
    return predicate()


def mail_text(message) -> str:
    """The text/plain part of an e-mail (``email.message.Message``)."""
    if message.is_multipart():
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode()
    return message.get_payload(decode=True).decode()


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF, as a reader copies it (pypdf reads the fonts' Unicode maps)."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


def read_mails(folder: str) -> list:
    """E-mails the ``folder`` provider wrote, oldest first."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.eml")), key=os.path.getmtime):
        with open(path, "rb") as fh:
            out.append(email.message_from_binary_file(fh))
    return out


class MovableClock:
    """The application's clock, stopped and moved by a test (see ``vvs_core.clock``)."""

    def set(self, when):
        _clock.set_fixed(when)
        return _clock.utcnow()

    def set_local(self, year, month, day, hour=0, minute=0, second=0, zone=None):
        """Stop the clock at this wall-clock time of ``zone`` (default: ``vvs.timezone``)."""
        from vvs_core.web import timefmt

        return self.set(datetime(year, month, day, hour, minute, second, tzinfo=zone or timefmt.zone()))

    def advance(self, **delta):
        return self.set(_clock.utcnow() + timedelta(**delta))

    def now(self):
        return _clock.utcnow()

    def release(self):
        _clock.set_fixed(None)


@pytest.fixture
def clock():
    moving = MovableClock()
    try:
        yield moving
    finally:
        moving.release()


def drop_queued_tasks() -> None:
    broker = dramatiq.get_broker()
    if hasattr(broker, "flush_all"):
        broker.flush_all()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(name: str) -> str:
    """A new, empty PostGIS database ``name`` on the test server (dropped first if it
    exists): its URL. For a test that serves the application from another process."""
    import psycopg

    parts = urlsplit(postgis_url())
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


from vvs_core.providers.contracts import (EmailSenderContract, GeocoderContract, IdentityVerifierContract,  # noqa: E402,F401
                                 PushSenderContract, SMSSenderContract, VoiceCallerContract)
from vvs_core.providers.fakes import Call, FakeHTTPService  # noqa: E402,F401


def use_provider(registry, kind: str, service) -> None:
    """Make ``service`` the ``kind`` provider ("sms", "email"…) of an application already
    built, as if the .ini had chosen it (for tests that record what is sent)."""
    from pyramid_services import IServiceRegistry, ProxyFactory, SingletonServiceWrapper

    from .providers import KINDS

    registry.getUtility(IServiceRegistry).register_factory(
        ProxyFactory(SingletonServiceWrapper(service)), KINDS[kind][1])
