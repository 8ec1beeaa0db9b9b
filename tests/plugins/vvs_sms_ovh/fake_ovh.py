"""A fake of the OVH API on 127.0.0.1, driven through the real ``ovh`` client.

Answers ``GET /1.0/auth/time``, ``GET /1.0/sms/{sn}`` (the account and its
``creditsLeft``), ``POST /1.0/sms/{sn}/jobs`` (records each body, returns ids /
validReceivers / invalidReceivers) and ``GET /1.0/sms/{sn}/outgoing``
(ids, filtered by ``tag`` and ``receiver``). It checks the signature the client
computes, as OVH does, and can be told to fail a share of the calls, to answer
with a given status, or to be down. Built on ``vvs_core.testing.FakeHTTPService``, so
the SMS contract suite drives it (``fail``, ``recover``, ``arrived``, ``receipt_call``,
``inbound_call``).

Import the ``fake_ovh`` fixture into a test module to use it.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import time
from urllib.parse import urlencode

from pyramid.request import Request

from vvs_core.testing import FakeHTTPService

from fake_fixtures import fake_fixtures

APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE = "fake-ak", "fake-as", "fake-ck", "sms-test-1"
JOBS = re.compile(r"^/1\.0/sms/([^/]+)/jobs$")
OUTGOING = re.compile(r"^/1\.0/sms/([^/]+)/outgoing$")
ACCOUNT = re.compile(r"^/1\.0/sms/([^/]+)$")


class FakeOVH(FakeHTTPService):
    def __init__(self):
        self.jobs: list[dict] = []          # every accepted POST body
        self.requests: list[tuple] = []     # (method, path) of every call
        self.outgoing: list[dict] = []      # {"id", "receiver", "tag", "message"}
        self.invalid_receivers: set[str] = set()
        self.failure_rate = 0.0             # share of /sms calls answered with failure_status
        self.failure_status = 503
        self.fail_next: list[int] = []      # statuses for the next calls, then normal
        self.next_id = 10_000
        self.credits_left = 250.0           # GET /sms/{sn} (the provider's health)
        self.random = random.Random(4)
        super().__init__()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/1.0"

    def settings(self, **overrides) -> dict:
        values = {
            "vvs.sms.ovh.endpoint": self.url, "vvs.sms.ovh.application_key": APP_KEY,
            "vvs.sms.ovh.application_secret": APP_SECRET, "vvs.sms.ovh.consumer_key": CONSUMER_KEY,
            "vvs.sms.ovh.service_name": SERVICE, "vvs.sms.ovh.sender": "VOISINS",
            "vvs.sms.ovh.validity_minutes": 120,
            "vvs.sms.ovh.callback_token": "", "vvs.sms.ovh.timeout": 1.0,
        }
        values.update(overrides)
        return values

    def receivers_sent(self) -> list[str]:
        return [r for job in self.jobs for r in job["receivers"]]

    def down(self) -> None:
        """Stop listening: calls get a connection error."""
        self.fail("refused")

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.jobs.clear(), self.requests.clear(), self.outgoing.clear()
            self.invalid_receivers.clear()
            self.failure_rate, self.fail_next, self.credits_left = 0.0, [], 250.0

    # --- what OVH calls us with (the contract suite reads them back) ------------

    def receipt_call(self, provider_ref: str, state: str):
        code = {"delivered": "1", "failed": "16"}[state]
        return Request.blank("/?" + urlencode({"id": provider_ref, "ptt": "13", "description": code}))

    def inbound_call(self, sender: str, text: str, provider_id: str):
        return Request.blank("/", POST={"id": provider_id, "senderid": "00" + sender[1:], "message": text})

    # --- the HTTP side ---------------------------------------------------------

    def handle(self, call):
        method, path, query, body = call.method, call.path, call.query, call.body.decode()
        with self.lock:
            self.requests.append((method, path))
        if method == "GET" and path == "/1.0/auth/time":
            return 200, int(time.time())
        if not self._signature_ok(call.headers, method, call.target, body):
            return 403, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"}
        with self.lock:
            status = self.fail_next.pop(0) if self.fail_next else None
            if status is None and self.failure_rate and self.random.random() < self.failure_rate:
                status = self.failure_status
        if status is not None:
            return status, {"message": f"fake failure {status}"}
        jobs, outgoing, account = JOBS.match(path), OUTGOING.match(path), ACCOUNT.match(path)
        if method == "GET" and account and account.group(1) == SERVICE:
            return 200, {"name": SERVICE, "status": "enable", "creditsLeft": self.credits_left}
        if method == "POST" and jobs and jobs.group(1) == SERVICE:
            return 200, self._accept_job(json.loads(body))
        if method == "GET" and outgoing and outgoing.group(1) == SERVICE:
            return 200, [o["id"] for o in self.outgoing
                         if all(o.get(k) == v for k, v in query.items() if k in ("tag", "receiver"))]
        return 404, {"message": "The requested object does not exist"}

    def _signature_ok(self, headers, method, path, body) -> bool:
        target = f"http://127.0.0.1:{self.port}{path}"
        stamp = headers.get("X-Ovh-Timestamp", "")
        expected = "$1$" + hashlib.sha1("+".join(
            [APP_SECRET, CONSUMER_KEY, method, target, body, stamp]).encode()).hexdigest()
        return (headers.get("X-Ovh-Application") == APP_KEY
                and headers.get("X-Ovh-Consumer") == CONSUMER_KEY
                and headers.get("X-Ovh-Signature") == expected)

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
                self.accepted.append((receiver, body["message"]))
                self.outgoing.append({"id": self.next_id, "receiver": receiver,
                                      "tag": body.get("tag", ""), "message": body["message"]})
        return {"ids": ids, "validReceivers": valid, "invalidReceivers": invalid,
                "totalCreditsRemoved": len(ids)}


fake_ovh, fresh_fake_ovh = fake_fixtures(FakeOVH, "fake_ovh")
