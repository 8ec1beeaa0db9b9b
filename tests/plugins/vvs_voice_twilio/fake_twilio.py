"""A fake of Twilio's REST API (Calls resource) on 127.0.0.1, driven through the real
``twilio`` client, and of the calls Twilio makes back (signed with X-Twilio-Signature).

Answers ``POST /2010-04-01/Accounts/{sid}/Calls.json`` (checks the Basic credentials
and the numbers as Twilio does: 401 with code 20003, 400 with code 21211 for a bad
``To``; reads the ``Twiml`` to note the text said and the Gather's action) and
``GET …/Calls.json?To=…`` (the latest calls to a number, newest first), and
``GET /2010-04-01/Accounts/{sid}.json`` (the account and its ``status``). Built on
``vvs_core.testing.FakeHTTPService``: the voice contract suite drives it (``fail``,
``recover``, ``arrived``, ``prompts``, ``call_event``, ``forged_call_event``).

Import the ``fake_twilio`` fixture into a test module to use it.
"""
from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree
from pyramid.request import Request
from twilio.request_validator import RequestValidator

from vvs_core.testing import FakeHTTPService

from fake_fixtures import fake_fixtures

ACCOUNT = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "jeton-twilio-de-test-0123456789"
FROM = "+33176543210"
CALLBACK_TOKEN = "jeton-de-rappel-twilio-" + "t" * 32
CALLS = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Calls\.json$")
ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)\.json$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
STATUS = {"answered": "in-progress", "completed": "completed", "failed": "no-answer"}


class FakeTwilio(FakeHTTPService):
    def __init__(self):
        self.placed: list[dict] = []   # every call Twilio accepted: sid, to, said, prompt, action, status_callback…
        self.account_status = "active"  # GET /Accounts/{sid}.json (the provider's health)
        super().__init__()

    def settings(self, **overrides) -> dict:
        values = {"vvs.voice.twilio.account_sid": ACCOUNT, "vvs.voice.twilio.auth_token": AUTH_TOKEN,
                  "vvs.voice.twilio.from_number": FROM, "vvs.voice.twilio.api_url": self.url,
                  "vvs.voice.twilio.timeout": 1.0, "vvs.voice.twilio.ring_seconds": 30,
                  "vvs.voice.twilio.gather_seconds": 8, "vvs.voice.twilio.voice": "",
                  "vvs.voice.twilio.machine_detection": False,
                  "vvs.voice.twilio.callback_token": CALLBACK_TOKEN, "vvs.public_url": "http://localhost"}
        values.update(overrides)
        return values

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.placed.clear()
            self.account_status = "active"

    def prompts(self) -> list[str]:
        with self.lock:
            return [c["prompt"] for c in self.placed]

    # --- the REST API ---------------------------------------------------------------

    def handle(self, call):
        match = CALLS.match(call.path) or ACCOUNT_PATH.match(call.path)
        if not match:
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
        if match.group(1) != ACCOUNT or call.headers.get("Authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if match.re is ACCOUNT_PATH:
            return 200, {"sid": ACCOUNT, "status": self.account_status, "type": "Full",
                         "friendly_name": "vvs test", "uri": f"/2010-04-01/Accounts/{ACCOUNT}.json"}
        if call.method == "GET":
            return 200, self._list(call.query.get("To", ""))
        if call.method != "POST":
            return 405, {"code": 20004, "message": "Method not allowed", "status": 405}
        form = call.form()
        if not E164.match(form.get("To", "")):
            return 400, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
                         "status": 400}
        if form.get("From") != FROM:
            return 400, {"code": 21210, "message": "The source phone number provided is not yet verified.",
                         "status": 400}
        said, prompt, action = read_twiml(form.get("Twiml", ""))
        placed = {"sid": "CA" + uuid.uuid4().hex, "to": form["To"], "said": said, "prompt": prompt,
                  "action": action, "status_callback": form.get("StatusCallback", ""),
                  "events": form.get("StatusCallbackEvent", ""), "timeout": form.get("Timeout"),
                  "twiml": form.get("Twiml", ""), "created": datetime.now(timezone.utc)}
        with self.lock:
            self.placed.append(placed)
        self.accept(placed["to"], said)
        return 201, self._resource(placed)

    def _resource(self, placed: dict) -> dict:
        return {"sid": placed["sid"], "account_sid": ACCOUNT, "to": placed["to"], "from": FROM,
                "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
                "date_created": format_datetime(placed["created"], usegmt=True),
                "date_updated": format_datetime(placed["created"], usegmt=True),
                "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{placed['sid']}.json"}

    def _list(self, to: str) -> dict:
        with self.lock:
            calls = [self._resource(c) for c in reversed(self.placed) if not to or c["to"] == to]
        uri = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
        return {"calls": calls, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
                "page": 0, "page_size": 50, "start": 0, "end": len(calls), "uri": uri}

    # --- Twilio's calls back ----------------------------------------------------------

    def placed_call(self, sid: str) -> dict:
        with self.lock:
            return next(c for c in self.placed if c["sid"] == sid)

    def call_event(self, sid: str, state: str, digits: str = "", token: str = AUTH_TOKEN, answered_by: str = ""):
        """The signed request Twilio makes: the Gather's action for "listened" and
        "keypad", the status callback for the others."""
        placed = self.placed_call(sid)
        params = {"AccountSid": ACCOUNT, "CallSid": sid, "From": FROM, "To": placed["to"],
                  "ApiVersion": "2010-04-01", "Direction": "outbound-api"}
        if state in ("listened", "keypad"):
            url = placed["action"]
            params.update(CallStatus="in-progress", Digits=digits, FinishedOnKey="")
        else:
            url = placed["status_callback"]
            params.update(CallStatus=STATUS[state], CallbackSource="call-progress-events", SequenceNumber="2",
                          Timestamp=format_datetime(datetime.now(timezone.utc), usegmt=True))
            if state == "completed":
                params["CallDuration"] = "42"
            if answered_by:
                params["AnsweredBy"] = answered_by
        signature = RequestValidator(token).compute_signature(url, params)
        parts = urlsplit(url)
        return Request.blank(f"{parts.path}?{parts.query}", base_url=f"{parts.scheme}://{parts.netloc}",
                             POST=params, headers={"X-Twilio-Signature": signature})

    def forged_call_event(self, sid: str, state: str, digits: str = ""):
        return self.call_event(sid, state, digits, token="pas-le-bon-jeton")


def read_twiml(twiml: str) -> tuple[str, str, str]:
    """(text said first, prompt said after it, the Gather's action) of a call's TwiML."""
    root = etree.fromstring(twiml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    gather = root.find("Gather")
    if gather is None or gather.get("numDigits") != "1":
        raise ValueError("the call must listen for one key")
    says = gather.findall("Say")
    if not says or any(s.get("language") != "fr-FR" for s in says):
        raise ValueError("every <Say> must be in French (fr-FR)")
    return says[0].text or "", (says[1].text or "") if len(says) > 1 else "", gather.get("action", "")


fake_twilio, fresh_fake_twilio = fake_fixtures(FakeTwilio, "fake_twilio")
