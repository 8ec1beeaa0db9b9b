"""``FakeHTTPService``: a local HTTP server on 127.0.0.1 to write the fake of a
provider's API with, for the contract suites (``vvs_core.providers.contracts``).

Subclass it, answer the API's calls in ``handle`` and note each message the fake
service accepts with ``accept(to, text)``; the base class gives what the suites drive:
``fail(how, after=0)`` (a status, ``"timeout"`` or ``"refused"``), ``recover()``,
``arrived()``, ``url``, ``calls``. See docs/providers.md for a complete example.
"""

import json
import threading
from dataclasses import dataclass
from typing import Any
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOLD_SECONDS = 5.0  # how long a "timeout" call is held: well past the sender's timeout in tests (1 s)


@dataclass(frozen=True)
class Call:
    """One call the fake received. ``target``: the path with its query, as sent."""
    method: str
    path: str
    query: dict
    headers: Any
    body: bytes
    target: str

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, fake):
        self.fake = fake
        super().__init__(address, handler)

    def verify_request(self, request, client_address):
        # a connection accepted while the fake is "refusing" is closed at once
        return not self.fake.refusing


class FakeHTTPService:
    """A fake of an HTTP API. Override ``handle``; call ``accept`` for each message taken."""

    hold_seconds = HOLD_SECONDS

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []           # (method, path) of every call
        self.accepted: list[tuple[str, str]] = []        # (to, text) of every message taken
        self.failure = None                              # status, "timeout" or "refused"
        self.fail_from = 0                               # fail once this many messages were taken
        self.refusing = False
        self._port = 0
        self._start()

    # --- what the suites drive -------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def arrived(self) -> list[tuple[str, str]]:
        """(recipient, text) of each message the fake service accepted, in order."""
        with self.lock:
            return list(self.accepted)

    def fail(self, how, after: int = 0) -> None:
        """From now, once ``after`` more messages were accepted, answer every call with
        ``how``: an HTTP status (429, 503…), ``"timeout"`` (hold the call, then close it
        unanswered) or ``"refused"`` (stop listening: connections are refused)."""
        with self.lock:
            self.failure, self.fail_from = how, len(self.accepted) + after
        if how == "refused" and after == 0:
            self._stop()

    def recover(self) -> None:
        """Answer normally again (listening again on the same port after ``refused``)."""
        with self.lock:
            self.failure = None
        if self.refusing:
            self._start(self._port)

    def reset(self) -> None:
        self.recover()
        with self.lock:
            self.calls.clear()
            self.accepted.clear()

    def close(self) -> None:
        self._stop()

    # --- for the subclass --------------------------------------------------------

    def handle(self, call: "Call"):
        """Answer one call: return ``(status, payload)``; bytes and str are sent as they
        are, anything else as JSON."""
        raise NotImplementedError

    def accept(self, to: str, text: str) -> None:
        with self.lock:
            self.accepted.append((to, text))

    # --- the server --------------------------------------------------------------

    def _start(self, port: int = 0) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._serve(self, self.command)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

        for attempt in range(50):  # the port of a stopped server may take a moment to free
            try:
                self.server = _Server(("127.0.0.1", port), Handler, self)
                break
            except OSError:
                if not port or attempt == 49:
                    raise
                time.sleep(0.05)
        self._port = self.server.server_address[1]
        self.refusing = False
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _stop(self) -> None:
        self.refusing = True
        self.server.shutdown()
        self.server.server_close()

    def _current_failure(self):
        with self.lock:
            if self.failure is not None and len(self.accepted) >= self.fail_from:
                return self.failure
        return None

    def _serve(self, handler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.calls.append((method, parts.path))
        failure = self._current_failure()
        if failure == "timeout":
            time.sleep(self.hold_seconds)
            handler.close_connection = True
            return
        if failure == "refused":
            handler.close_connection = True
            threading.Thread(target=self._stop, daemon=True).start()
            return
        if failure is not None:
            return self._answer(handler, int(failure), {"error": f"panne simulée {failure}"})
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            status, payload = self.handle(Call(method, parts.path, query, handler.headers, body, handler.path))
        except Exception as exc:  # a bug of the fake shows as a 500 with its reason
            status, payload = 500, {"error": f"fake error: {exc!r}"}
        self._answer(handler, status, payload)

    @staticmethod
    def _answer(handler, status: int, payload) -> None:
        if isinstance(payload, (bytes, str)):
            data = payload.encode() if isinstance(payload, str) else payload
            kind = "text/plain; charset=utf-8"
        else:
            data, kind = json.dumps(payload).encode(), "application/json"
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
