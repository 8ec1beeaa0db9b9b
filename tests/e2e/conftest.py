"""Browser tests: the real app served by waitress in a subprocess on a fresh PostGIS
database with the demo commune, driven by Playwright in Debian's headless Chromium.

Every page any test visits is checked with axe-core (tests/e2e/axe_audit.py): a
serious or critical violation fails the test. Tests marked ``keyboard`` are the
keyboard-only journeys listed in the accessibility statement.

Fixtures: ``live_server`` (base URL; ``.db_url``, ``.maildir``, ``.sms_log``), ``page``
(a fresh French browser context), ``phone`` (the same on a 360 px phone),
``person(email)`` (one more person, on their own phone, signed in when ``email`` is
given: two people at once), ``shot(page, name)`` (saves tests/screenshots/<name>.png),
``login(page, email, password)``, ``e2e_db`` (a SQLAlchemy session factory on the
served database, to check what the pages did), ``mails()`` (e-mails written so far),
``sms()`` (the SMS the console provider wrote so far: what the phones received).
"""
from __future__ import annotations

import email
import glob
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import expect

from vvs_core.testing import (DEMO_PASSWORD, base_settings, enabled_module_names,  # noqa: F401
                              free_port, fresh_database, mail_text, postgis_url, wait_for)
from vvs_demo.testing import demo_database, drop_database, drop_leftover_databases

from axe_audit import AxeAudit
from phones import PHONE, open_page  # noqa: F401 (PHONE: for the tests)

AUDIT = AxeAudit()
# ``expect(...)`` waits 5 s by default, not the contexts' 15 s (phones.open_page): on a busy
# machine a form's answer took longer, and the check failed before the page came.
expect.set_options(timeout=15_000)

HERE = Path(__file__).parent
SCREENSHOTS = HERE.parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]




class LiveServer(str):
    db_url: str
    maildir: str
    sms_log: str
    process: subprocess.Popen


E2E_DATABASE = "vvs_e2e_"  # + the pid of the test process: dropped at the end of its session


@pytest.fixture(scope="session")
def live_server():
    drop_leftover_databases(E2E_DATABASE)  # those of runs killed before their end
    db_url = demo_database(name := f"{E2E_DATABASE}{os.getpid()}")
    server = start_server(db_url, tempfile.mkdtemp(prefix="vvs-e2e-mail-"))
    yield server
    stop_server(server)
    drop_database(name)


def start_server(db_url: str, maildir: str, env: dict | None = None, what: str = "the e2e server") -> LiveServer:
    """``serve.py`` on a free port (``env``: settings through the environment, e.g.
    ``VVS_ALERTS_MODERATION``), once it accepts connections."""
    sms_log = os.path.join(tempfile.mkdtemp(prefix="vvs-e2e-sms-"), "sms.log")
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "serve.py"), db_url, str(port), maildir, sms_log],
                            env={**os.environ, **(env or {})})
    def accepting() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited at start-up")
            return False
    if not wait_for(accepting, timeout=60, interval=0.05):
        proc.kill()
        raise RuntimeError(f"{what} did not start within 60 s")
    server = LiveServer(f"http://127.0.0.1:{port}")
    server.db_url, server.maildir, server.sms_log, server.process = db_url, maildir, sms_log, proc
    return server


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def e2e_db(live_server):
    from vvs_core.web.cache import shared_generation
    from vvs_core.models import get_engine, get_session_factory

    if os.environ.get("VVS_TEST_REDIS_URL"):  # this process's writes reach the server's page cache
        shared_generation(os.environ["VVS_TEST_REDIS_URL"])

    engine = get_engine(live_server.db_url)
    yield get_session_factory(engine)
    engine.dispose()


class AuditedBrowser:
    """The browser, whose every new context has its pages checked by axe-core."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        kwargs.setdefault("service_workers", "block")
        context = self._browser.new_context(**kwargs)
        if kwargs.get("java_script_enabled", True):  # axe-core is JavaScript
            AUDIT.install(context)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        AUDIT.browser_version = f"Chromium {b.version}"
        yield AuditedBrowser(b)
        b.close()


@pytest.fixture(autouse=True)
def axe_checked(request):
    """Fails the test on a serious or critical axe-core violation of any page it visited
    (torn down after the page fixtures, so their last pages are checked too)."""
    AUDIT.start(request.node.nodeid)
    yield
    failures = AUDIT.finish()
    if failures:
        pytest.fail("axe-core found serious or critical accessibility violations:\n" + "\n".join(failures), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("keyboard") and (report.when == "call" or (report.when == "setup" and report.failed)):
        doc = (item.function.__doc__ or item.name).strip().splitlines()[0]
        AUDIT.record_keyboard(item.nodeid, doc, report.outcome)


def pytest_sessionfinish(session, exitstatus):
    AUDIT.write()


def _open_page(browser, live_server, viewport, errors):
    return open_page(browser, live_server, errors, viewport=viewport, timezone_id="Europe/Paris")


@pytest.fixture
def page(browser, live_server):
    errors = []
    context, pg = _open_page(browser, live_server, {"width": 412, "height": 915}, errors)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def phone(browser, live_server):
    """A resident's phone: 360 px wide, French, in Paris."""
    errors = []
    context, pg = _open_page(browser, live_server, PHONE, errors)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def person(browser, live_server, login):
    """``person(email=None)``: one more person on their own 360 px phone (their own
    browser context, so their own session), signed in when ``email`` is given."""
    errors, contexts = [], []

    def open_phone(email_address: str | None = None):
        context, pg = _open_page(browser, live_server, PHONE, errors)
        contexts.append(context)
        if email_address:
            login(pg, email_address)
        return pg

    yield open_phone
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(pg, name: str):
        path = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login():
    def do(pg, email_address: str, password: str = DEMO_PASSWORD):
        pg.goto("/connexion")
        pg.get_by_label("Adresse e-mail").fill(email_address)
        pg.get_by_label("Mot de passe").fill(password)
        with pg.expect_navigation():  # the answer, not the sign-in page still there (a goto next would cancel it)
            pg.get_by_role("button", name="Se connecter").click()

    return do


@pytest.fixture
def mails(live_server):
    def read():
        out = []
        for path in sorted(glob.glob(os.path.join(live_server.maildir, "*.eml")), key=os.path.getmtime):
            with open(path, "rb") as fh:
                out.append(email.message_from_binary_file(fh))
        return out

    return read


@pytest.fixture
def sms(live_server):
    """``sms()``: every SMS the console provider wrote so far, oldest first, as
    ``SentSMS(to, encoding, segments, text)`` (from its lines:
    ``SMS à 06 •• •• •• 78 [ref] (GSM-7, 2 SMS, 250 caractères) : text``)."""
    line_format = re.compile(r"^SMS à (?P<to>.+?) \[[^\]]*\] \((?P<encoding>[^,]+), (?P<segments>\d+) SMS, \d+ caractères\) : (?P<text>.*)$")

    def read():
        if not os.path.exists(live_server.sms_log):
            return []
        with open(live_server.sms_log, encoding="utf-8") as fh:
            found = [line_format.match(line.rstrip("\n")) for line in fh]
        return [SentSMS(m["to"], m["encoding"], int(m["segments"]), m["text"]) for m in found if m]

    return read


class SentSMS(NamedTuple):
    to: str
    encoding: str
    segments: int
    text: str
