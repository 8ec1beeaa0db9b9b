"""Real SMTP servers (aiosmtpd) on 127.0.0.1 for the SMTP provider's tests.

``SMTPServer`` collects what it receives; recipients starting with ``refuse`` get
550 and with ``plus-tard`` 450. Options: STARTTLS with a self-signed certificate
made by ``openssl`` here, implicit TLS, and AUTH with one account.
Import the fixtures into a test module.
"""
from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from vvs_core.testing import free_port

USER, PASSWORD = "voisins", "mot de passe du relais"


class CollectingHandler:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 Utilisateur inconnu"
        if address.startswith("plus-tard"):
            return "450 4.2.0 Boîte pleine, réessayez"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "message": parsed, "tls": session.ssl is not None,
                                  "auth": session.authenticated})
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok)


class SMTPServer:
    def __init__(self, tls_files=None, mode="plain", auth=False):
        self.handler = CollectingHandler()
        self.port = free_port()
        kwargs = {}
        if auth:
            kwargs.update(authenticator=_authenticator, auth_required=True,
                          auth_require_tls=mode != "plain")
        if mode in ("starttls", "tls"):
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls_files)
            if mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    @property
    def messages(self):
        return self.handler.messages

    def stop(self):
        self.controller.stop()


def make_certificate(folder) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem), by openssl."""
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


_plain: dict = {}


@pytest.fixture
def smtp_server():
    """A plain SMTP server for the whole session, emptied before each test."""
    if "server" not in _plain:
        _plain["server"] = SMTPServer()
    server = _plain["server"]
    server.handler.messages.clear()
    return server


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(tls_files):
    server = SMTPServer(tls_files, mode="starttls", auth=True)
    yield server
    server.stop()


@pytest.fixture
def implicit_tls_server(tls_files):
    server = SMTPServer(tls_files, mode="tls")
    yield server
    server.stop()


def smtp_settings(server, **overrides) -> dict:
    values = {"vvs.email.smtp.host": "127.0.0.1", "vvs.email.smtp.port": server.port,
              "vvs.email.smtp.security": "none", "vvs.email.smtp.username": "",
              "vvs.email.smtp.password": "", "vvs.email.smtp.timeout": 5, "vvs.email.smtp.ca_file": "",
              "vvs.email.sender": "Voisins vigilants <ne-pas-repondre@voisins.example.fr>"}
    values.update(overrides)
    return values


# --- the fake the e-mail contract suite drives ----------------------------------------

SMTP_FAILURES = {  # what the suite names (an HTTP status) → what an SMTP server answers
    429: "451 4.7.1 Trop d'envois, réessayez plus tard", 500: "451 4.3.0 Erreur locale",
    502: "451 4.4.1 Relais injoignable", 503: "421 4.3.2 Service indisponible",
    400: "554 5.6.0 Message refusé", 401: "530 5.7.0 Authentification requise",
    403: "550 5.7.1 Relais refusé",
}


class FailingHandler(CollectingHandler):
    """CollectingHandler that answers MAIL FROM with a failure once told to."""

    def __init__(self, fake):
        super().__init__()
        self.fake = fake

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        import asyncio

        how = self.fake.current_failure()
        if how == "timeout":
            await asyncio.sleep(self.fake.hold_seconds)
            return "421 4.4.2 Délai dépassé"
        if how is not None:
            return SMTP_FAILURES[how]
        envelope.mail_from = address
        return "250 OK"


class SMTPContractFake:
    """An aiosmtpd server with the fake API of vvs_core.providers.contracts: arrived(),
    fail(how, after), recover(). HTTP statuses map to SMTP answers (SMTP_FAILURES)."""

    hold_seconds = 5.0

    def __init__(self):
        self.port = free_port()
        self.handler = FailingHandler(self)
        self.failure, self.fail_from = None, 0
        self._start()

    def _start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.listening = True

    def _stop(self):
        if self.listening:
            self.controller.stop()
            self.listening = False

    def current_failure(self):
        with self.handler.lock:
            if self.failure is not None and len(self.handler.messages) >= self.fail_from:
                return self.failure
        return None

    def arrived(self) -> list[tuple[str, str]]:
        with self.handler.lock:
            return [(to, m["message"].get_body(("plain",)).get_content().rstrip("\n"))
                    for m in self.handler.messages for to in m["to"]]

    def fail(self, how, after: int = 0) -> None:
        with self.handler.lock:
            self.failure, self.fail_from = how, len(self.handler.messages) + after
        if how == "refused":
            self._stop()

    def recover(self) -> None:
        self.failure = None
        if not self.listening:
            self._start()

    def close(self) -> None:
        self._stop()
