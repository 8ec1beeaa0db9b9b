"""A fake of the OVH API on 127.0.0.1, driven through the real ``ovh`` client.

Answers ``GET /1.0/auth/time``, ``POST /1.0/sms/{sn}/jobs`` (records each body,
returns ids / validReceivers / invalidReceivers) and ``GET /1.0/sms/{sn}/outgoing``
(ids, filtered by ``tag`` and ``receiver``). It checks the signature the client
computes, as OVH does, and can be told to fail a share of the calls, to answer
with a given status, or to be down.

Import the ``fake_ovh`` fixture into a test module to use it.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE = "fake-ak", "fake-as", "fake-ck", "sms-test-1"
JOBS = re.compile(r"^/1\.0/sms/([^/]+)/jobs$")
OUTGOING = re.compile(r"^/1\.0/sms/([^/]+)/outgoing$")


class FakeOVH:
    def __init__(self):
        self.jobs: list[dict] = []          # every accepted POST body
        self.requests: list[tuple] = []     # (method, path) of every call
        self.outgoing: list[dict] = []      # {"id", "receiver", "tag", "message"}
        self.invalid_receivers: set[str] = set()
        self.failure_rate = 0.0             # share of /sms calls answered with failure_status
        self.failure_status = 503
        self.fail_next: list[int] = []      # statuses for the next calls, then normal
        self.lock = threading.Lock()
        self.next_id = 10_000
        self.random = random.Random(4)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/1.0"

    def settings(self, **overrides) -> dict:
        values = {
            "vvs.sms.ovh.endpoint": self.url, "vvs.sms.ovh.application_key": APP_KEY,
            "vvs.sms.ovh.application_secret": APP_SECRET, "vvs.sms.ovh.consumer_key": CONSUMER_KEY,
            "vvs.sms.ovh.service_name": SERVICE, "vvs.sms.ovh.sender": "VOISINS",
            "vvs.sms.ovh.validity_minutes": 120,
            "vvs.sms.ovh.callback_token": "", "vvs.sms.ovh.timeout": 2.0,
        }
        values.update(overrides)
        return values

    def receivers_sent(self) -> list[str]:
        return [r for job in self.jobs for r in job["receivers"]]

    def down(self) -> None:
        """Stop listening: calls get a connection error."""
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.jobs.clear(), self.requests.clear(), self.outgoing.clear()
            self.invalid_receivers.clear()
            self.failure_rate, self.fail_next = 0.0, []

    # --- the HTTP side ---------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._serve(self, "GET")

            def do_POST(self):
                fake._serve(self, "POST")

        return Handler

    def _serve(self, handler, method):
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        with self.lock:
            self.requests.append((method, parts.path))
        if method == "GET" and parts.path == "/1.0/auth/time":
            return self._answer(handler, 200, int(time.time()))
        if not self._signature_ok(handler, method, body):
            return self._answer(handler, 403, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"})
        with self.lock:
            status = self.fail_next.pop(0) if self.fail_next else None
            if status is None and self.failure_rate and self.random.random() < self.failure_rate:
                status = self.failure_status
        if status is not None:
            return self._answer(handler, status, {"message": f"fake failure {status}"})
        jobs, outgoing = JOBS.match(parts.path), OUTGOING.match(parts.path)
        if method == "POST" and jobs and jobs.group(1) == SERVICE:
            return self._answer(handler, 200, self._accept_job(json.loads(body)))
        if method == "GET" and outgoing and outgoing.group(1) == SERVICE:
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            return self._answer(handler, 200, [
                o["id"] for o in self.outgoing
                if all(o.get(k) == v for k, v in query.items() if k in ("tag", "receiver"))])
        return self._answer(handler, 404, {"message": "The requested object does not exist"})

    def _signature_ok(self, handler, method, body) -> bool:
        target = f"http://127.0.0.1:{self.port}{handler.path}"
        stamp = handler.headers.get("X-Ovh-Timestamp", "")
        expected = "$1$" + hashlib.sha1("+".join(
            [APP_SECRET, CONSUMER_KEY, method, target, body, stamp]).encode()).hexdigest()
        return (handler.headers.get("X-Ovh-Application") == APP_KEY
                and handler.headers.get("X-Ovh-Consumer") == CONSUMER_KEY
                and handler.headers.get("X-Ovh-Signature") == expected)

    def _accept_job(self, body: dict) -> dict:
        if not body.get("message") or not isinstance(body.get("receivers"), list):
            return {"ids": [], "validReceivers": [], "invalidReceivers": []}
        with self.lock:
            self.jobs.append(body)
            valid, invalid, ids = [], [], []
            for receiver in dict.fromkeys(body["receivers"]):  # OVH merges duplicates
                if receiver in self.invalid_receivers or not re.match(r"^\+\d{8,15}$", receiver):
                    invalid.append(receiver)
                    continue
                self.next_id += 1
                valid.append(receiver)
                ids.append(self.next_id)
                self.outgoing.append({"id": self.next_id, "receiver": receiver,
                                      "tag": body.get("tag", ""), "message": body["message"]})
        return {"ids": ids, "validReceivers": valid, "invalidReceivers": invalid,
                "totalCreditsRemoved": len(ids)}

    def _answer(self, handler, status, payload):
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


_server: dict = {}


@pytest.fixture
def fake_ovh():
    """One fake server per test session (its port lives in the test app's settings),
    emptied before each test."""
    if "fake" not in _server:
        _server["fake"] = FakeOVH()
    fake = _server["fake"]
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def fresh_fake_ovh():
    """A fake of its own, for a test that takes it down."""
    fake = FakeOVH()
    yield fake
    try:
        fake.down()
    except Exception:
        pass
