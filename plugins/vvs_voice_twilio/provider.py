"""The Twilio voice caller: each call of the outbox becomes a Twilio call, through the
official ``twilio`` client.

The call carries its own TwiML (``Twiml``): the text read with ``<Say
language="fr-FR">``, then the prompt, both inside ``<Gather numDigits="1">`` so that a
key pressed at any moment is taken; the Gather's ``action`` is the core's callback URL
(``…/appel?etape=touche``), called with ``Digits`` (empty when the person listened to
the end without pressing anything: ``actionOnEmptyResult``). The call's progress goes
to ``…/appel?etape=etat`` (``StatusCallback``, events initiated, ringing, answered,
completed). Every call Twilio makes is signed (``X-Twilio-Signature``): the caller
checks it with the official ``RequestValidator`` against the public address.

Twilio places one call per request and keeps no tag of ours: ``journal`` notes each
key before the request and the call's sid after, for ``already_sent``.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from vvs_core.errors import ConfigurationError
from vvs_core.interfaces import CallbackRefused, CallEvent, OutgoingCall, SendResult
from vvs_core.accounts.phones import mask_phone
from vvs_core.web.links import public_base_url

from .journal import MemoryJournal
from .settings import S, SETTINGS, TWILIO_API  # noqa: F401  (SETTINGS: part of this module's API)

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
DIGITS = re.compile(r"^[0-9*#]{0,8}$")
TWIML_MAX = 4000          # Twilio's limit on the Twiml parameter
LANGUAGE = "fr-FR"
EVENTS = ["initiated", "ringing", "answered", "completed"]
# Twilio's CallStatus → (state, French reason when it failed)
STATUSES = {"queued": ("pending", ""), "initiated": ("pending", ""), "ringing": ("pending", ""),
            "in-progress": ("answered", ""), "completed": ("completed", ""),
            "busy": ("failed", "ligne occupée"), "no-answer": ("failed", "pas de réponse"),
            "failed": ("failed", "appel impossible"), "canceled": ("failed", "appel annulé")}
# Twilio's errors on the number called: permanent for this call.
BAD_NUMBER_CODES = {21211, 21214, 21215, 21216, 21217, 21401, 21407, 13224}

class _HttpClient(TwilioHttpClient):
    """The official client's HTTP client, sending to ``api_url`` instead of
    https://api.twilio.com (a local fake of the API, a proxy), with a timeout."""

    def __init__(self, api_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.api_url = api_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self.api_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.api_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


def check_settings(settings) -> None:
    if not ACCOUNT_SID.match(str(settings.get(S + "account_sid") or "")):
        raise ConfigurationError(f"{S}account_sid must look like AC followed by 32 hexadecimal digits")
    if not E164.match(str(settings.get(S + "from_number") or "")):
        raise ConfigurationError(f"{S}from_number must be the Twilio number in E.164, e.g. +33176543210")
    if not settings.get(S + "callback_token"):
        raise ConfigurationError(f"{S}callback_token is required: without it Twilio cannot report the calls")


class TwilioVoiceCaller:
    name = "twilio"

    def __init__(self, client: Client, auth_token: str, from_number: str, callback_url: str, *,
                 ring_seconds: int = 30, gather_seconds: int = 8, voice: str = "", machine_detection: bool = False,
                 journal=None):
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.from_number = from_number
        self.callback_url = callback_url
        self.ring_seconds, self.gather_seconds = int(ring_seconds), int(gather_seconds)
        self.voice = voice
        self.machine_detection = machine_detection
        self.journal = journal or MemoryJournal()  # vvs_startup puts the database's

    @classmethod
    def from_settings(cls, settings, journal=None) -> "TwilioVoiceCaller":
        check_settings(settings)
        client = Client(settings[S + "account_sid"], settings[S + "auth_token"],
                        http_client=_HttpClient(settings[S + "api_url"], float(settings[S + "timeout"])))
        base = public_base_url(settings)
        return cls(client, settings[S + "auth_token"], settings[S + "from_number"],
                   f"{base}/fournisseurs/twilio/{settings[S + 'callback_token']}/appel",
                   ring_seconds=settings[S + "ring_seconds"], gather_seconds=settings[S + "gather_seconds"],
                   voice=settings.get(S + "voice") or "", machine_detection=settings[S + "machine_detection"],
                   journal=journal)

    # --- placing calls ---------------------------------------------------------------

    def twiml(self, call: OutgoingCall) -> str:
        """The call's TwiML; a text too long for Twilio's limit is shortened (the prompt stays)."""
        text = call.text
        while True:
            response = VoiceResponse()
            gather = response.gather(num_digits=1, action=f"{self.callback_url}?etape=touche", method="POST",
                                     timeout=self.gather_seconds, action_on_empty_result=True, language=LANGUAGE)
            gather.say(text, language=LANGUAGE, **({"voice": self.voice} if self.voice else {}))
            if call.prompt:
                gather.pause(length=1)
                gather.say(call.prompt, language=LANGUAGE, **({"voice": self.voice} if self.voice else {}))
            xml = str(response)
            if len(xml) <= TWIML_MAX or not text:
                return xml
            text = text[: max(0, len(text) - (len(xml) - TWIML_MAX) - 2)].rstrip() + "…"

    def send_batch(self, calls: list[OutgoingCall]) -> list[SendResult]:
        results: list[SendResult] = []
        earlier = self._earlier_calls(calls)
        broken = None  # after a transient failure the rest of the batch waits for the retry
        for call in calls:
            if call.key in earlier:
                results.append(earlier[call.key])
            elif not E164.match(call.to or ""):
                results.append(SendResult(call.key, ok=False, error="numéro invalide"))
            elif broken is not None:
                results.append(SendResult(call.key, ok=False, transient=True, error=broken))
            else:
                result = self._place(call)
                if not result.ok and result.transient:
                    broken = result.error
                results.append(result)
        return results

    def _earlier_calls(self, calls: list[OutgoingCall]) -> dict[str, SendResult]:
        """Results for the keys placed before (a retried batch): never called twice."""
        try:
            found = self.already_sent([c.key for c in calls])
        except (TwilioException, requests.RequestException) as error:
            return {c.key: SendResult(c.key, ok=False, transient=True, error=describe(error)) for c in calls}
        except Exception:
            log.exception("Twilio: journal unavailable; batch of %d calls postponed", len(calls))
            return {c.key: SendResult(c.key, ok=False, transient=True, error="journal des appels indisponible")
                    for c in calls}
        return {key: SendResult(key, ok=True, provider_ref=sid) for key, sid in found.items()}

    def _place(self, call: OutgoingCall) -> SendResult:
        try:
            self.journal.intend(call.key, call.to)
        except Exception:  # no note, no call: a crash could not be told from a failure
            log.exception("Twilio: journal unavailable; call postponed")
            return SendResult(call.key, ok=False, transient=True, error="journal des appels indisponible")
        options = dict(to=call.to, from_=self.from_number, twiml=self.twiml(call),
                       status_callback=f"{self.callback_url}?etape=etat", status_callback_method="POST",
                       status_callback_event=EVENTS, timeout=self.ring_seconds)
        if self.machine_detection:
            options["machine_detection"] = "Enable"
        try:
            placed = self.client.calls.create(**options)
        except (TwilioException, requests.RequestException) as error:
            transient = is_transient(error)
            log.warning("Twilio: call to %s refused (%s): %s", mask_phone(call.to),
                        "temporaire" if transient else "définitif", describe(error))
            return SendResult(call.key, ok=False, transient=transient, error=describe(error))
        try:
            self.journal.placed(call.key, placed.sid)
        except Exception:  # the call is placed: say so; a crash now is resolved by already_sent
            log.exception("Twilio: call %s placed but not noted", placed.sid)
        return SendResult(call.key, ok=True, provider_ref=placed.sid)

    def already_sent(self, keys: list[str]) -> dict[str, str]:
        """key → call sid for the keys placed before (see ``journal``). A note without a
        sid is asked of Twilio: the latest calls to that landline created since the note
        that no other key owns. API errors propagate (the outbox retries later)."""
        found = {}
        for key, note in self.journal.lookup(list(keys)).items():
            if note.call_sid:
                found[key] = note.call_sid
                continue
            calls = [c for c in self.client.calls.list(to=note.to, limit=20)
                     if c.date_created is None or c.date_created >= note.created_at.replace(microsecond=0)]
            owned = self.journal.owned([c.sid for c in calls])
            free = [c.sid for c in calls if c.sid not in owned]
            if free:
                self.journal.placed(key, free[-1])
                found[key] = free[-1]
        return found

    # --- health (``vvs_core.interfaces``: /admin/extensions, vvs check) -----------------

    def health(self) -> str | None:
        """Reads the account (``GET /2010-04-01/Accounts/{sid}.json``, with the credentials
        a call uses): None when Twilio answers that it is active, else a French sentence.
        Places no call."""
        try:
            account = self.client.api.v2010.accounts(self.client.account_sid).fetch()
        except TwilioRestException as error:
            if error.status in (401, 403):
                return "Twilio refuse l'identifiant du compte ou le jeton : aucun appel ne partira."
            return f"Le compte Twilio ne répond pas (code {error.status})."
        except (TwilioException, requests.RequestException) as error:
            return f"Twilio est injoignable ({type(error).__name__})."
        if account.status != "active":
            state = {"suspended": "suspendu", "closed": "fermé"}.get(account.status, account.status or "inconnu")
            return f"Le compte Twilio est {state} : aucun appel ne partira."
        return None

    # --- Twilio's calls to us (served by the core: vvs_core.providers.callbacks) --------

    def parse_call_event(self, request) -> CallEvent:
        params = request.POST if request.method == "POST" else {}
        signature = request.headers.get("X-Twilio-Signature", "")
        scheme, netloc = urlsplit(self.callback_url)[:2]
        if not signature or not self.validator.validate(f"{scheme}://{netloc}{request.path_qs}", params, signature):
            raise CallbackRefused("signature Twilio absente ou invalide")
        sid = str(params.get("CallSid") or "")
        if not CALL_SID.match(sid):
            raise CallbackRefused("identifiant d'appel manquant ou invalide")
        step = request.GET.get("etape")
        if step == "touche":
            digits = str(params.get("Digits") or "")
            if not DIGITS.match(digits):
                raise CallbackRefused("touches invalides")
            return CallEvent(sid, "keypad", digits=digits) if digits else CallEvent(sid, "listened")
        if step == "etat":
            status = str(params.get("CallStatus") or "")
            if status not in STATUSES:
                raise CallbackRefused("état d'appel inconnu")
            state, reason = STATUSES[status]
            answered_by = str(params.get("AnsweredBy") or "")
            return CallEvent(sid, state, by_machine=answered_by.startswith("machine") or answered_by == "fax",
                             error=f"{reason} (Twilio : {status})" if reason else "")
        raise CallbackRefused("étape inconnue")

    def call_reply(self, event: CallEvent, speech: str) -> tuple[str, str]:
        """TwiML: after a key, what the core or a plugin says; then the call ends."""
        response = VoiceResponse()
        if speech:
            response.say(speech, language=LANGUAGE, **({"voice": self.voice} if self.voice else {}))
        if event.state in ("keypad", "listened"):
            response.hangup()
        return str(response), "text/xml"


def is_transient(error) -> bool:
    """Network trouble, timeouts, 429 and 5xx may pass; 4xx (bad number, credentials) will not."""
    if isinstance(error, requests.RequestException):
        return True
    if isinstance(error, TwilioRestException):
        return error.status == 429 or error.status >= 500
    return False


def describe(error) -> str:
    if isinstance(error, TwilioRestException):
        code = f", code {error.code}" if error.code else ""
        return f"Twilio {error.status}{code} : {error.msg}"[:300]
    return f"Twilio injoignable : {type(error).__name__}"[:300]
