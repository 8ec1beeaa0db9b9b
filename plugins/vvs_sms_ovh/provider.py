"""The OVH SMS sender: the outbox's batches become OVH jobs, through the official
``ovh`` client.

Identical texts go out as one job with many receivers (``POST /sms/{sn}/jobs``
accepts a list; at most ``JOB_RECEIVERS`` per call, as OVH advises), so an alert to
five hundred neighbours is one HTTP call. OVH answers with one id per valid
receiver, in the order of ``validReceivers``: that id is the provider reference the
delivery receipts name. ``invalidReceivers`` fail for good.

``already_sent(keys)`` lets the outbox settle rows a dead worker left behind: each
(key → job tag, receiver) is noted in a journal before the job is posted
(``journal``), and OVH's history of that tag and receiver says whether it left.

The ``ovh`` library (with requests and oauthlib, about 5 MB) is imported when the
first call is made, not at start-up: a web process, which builds the sender but never
sends, does without it.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict

from vvs_core.notify import sms
from vvs_core.errors import ConfigurationError, TransientDeliveryError
from vvs_core.interfaces import OutgoingSMS, SendResult
from vvs_core.accounts.phones import mask_phone
from vvs_core.settings import Setting, as_float, as_int

from . import callbacks
from .journal import MemoryJournal

log = logging.getLogger(__name__)

JOB_RECEIVERS = 500
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# The regions of ``ovh.client.ENDPOINTS`` (a test checks they agree), checked at start-up
# without importing the library.
REGIONS = ("kimsufi-ca", "kimsufi-eu", "ovh-ca", "ovh-eu", "ovh-us", "soyoustart-ca", "soyoustart-eu")
# OVH validates alphanumeric senders (≤ 11 characters); a number may be a sender too.
SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\+?[0-9]{3,15})$")

S = "vvs.sms.ovh."
SETTINGS = [
    Setting(S + "endpoint", "ovh-eu", "OVH API region (`ovh-eu`, `ovh-ca`, `ovh-us`…) or a full base URL ending in `/1.0` (tests, proxies)."),
    Setting(S + "application_key", "", "Application key of the OVH API application (required).", required=True),
    Setting(S + "application_secret", "", "Application secret (required; set VVS_SMS_OVH_APPLICATION_SECRET).", secret=True, required=True),
    Setting(S + "consumer_key", "", "Consumer key allowed on /sms/* (required; set VVS_SMS_OVH_CONSUMER_KEY).", secret=True, required=True),
    Setting(S + "service_name", "", "SMS account name, e.g. `sms-ab12345-1` (required).", required=True),
    Setting(S + "sender", "", "Sender validated by OVH (≤ 11 letters or digits). Empty: OVH's short number, which lets residents answer (France only)."),
    Setting(S + "validity_minutes", 120, "Minutes OVH keeps trying to reach a phone that is off; an old alert is worse than none.", parse=as_int),
    Setting(S + "timeout", 10, "Seconds before an OVH API call is abandoned (and retried later by the outbox).", parse=as_float),
]


def ovh_client(endpoint: str, **kwargs):
    """``ovh.Client`` accepts only region names; a full URL (a local fake of the API,
    a proxy) replaces the base URL after the client is built."""
    import ovh

    is_url = endpoint.startswith(("http://", "https://"))
    client = ovh.Client(endpoint="ovh-eu" if is_url else endpoint, **kwargs)
    if is_url:
        client._endpoint = endpoint.rstrip("/")
    return client


def api_error():
    """``ovh.exceptions.APIError``, the library imported at the first call."""
    from ovh.exceptions import APIError

    return APIError


def is_transient(error) -> bool:
    """Network trouble, 5xx, 429 and unreadable answers may pass; 400/403/404 will not."""
    from ovh.exceptions import HTTPError, InvalidResponse, NetworkError

    if isinstance(error, (HTTPError, NetworkError, InvalidResponse)):
        return True
    status = getattr(error.response, "status_code", None)
    return status is None or status == 429 or status >= 500


def describe(error) -> str:
    status = getattr(error.response, "status_code", None)
    text = str(error.args[0]) if error.args else type(error).__name__
    return (f"OVH {status} : {text}" if status else f"OVH injoignable : {text}")[:300]


class OVHSMSSender:
    name = "ovh"

    def __init__(self, client, service_name: str, sender: str = "", validity_minutes: int = 120, journal=None):
        self._client = client  # an ovh.Client, or a function that builds one at the first call
        self.journal = journal or MemoryJournal()  # the plugin's includeme puts the database's
        self.service_name = service_name
        self.sender = sender
        self.validity_minutes = int(validity_minutes)

    @classmethod
    def from_settings(cls, settings, journal=None) -> "OVHSMSSender":
        check_settings(settings)

        def client():
            return ovh_client(settings[S + "endpoint"], application_key=settings[S + "application_key"],
                              application_secret=settings[S + "application_secret"],
                              consumer_key=settings[S + "consumer_key"], timeout=float(settings[S + "timeout"]))
        return cls(client, settings[S + "service_name"], settings.get(S + "sender") or "",
                   settings[S + "validity_minutes"], journal=journal)

    @property
    def client(self):
        if callable(self._client):
            self._client = self._client()
        return self._client

    # --- sending ---------------------------------------------------------------

    def send_batch(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        results: dict[int, SendResult] = self._earlier_sends(messages)
        jobs: "OrderedDict[str, list[list[int]]]" = OrderedDict()
        for index, message in enumerate(messages):
            if index in results:
                continue
            if not E164.match(message.to or ""):
                results[index] = SendResult(message.key, ok=False, error="numéro invalide")
                continue
            # The outbox already transliterated and fitted the text (vvs_core.notify.sms.fit_text).
            _add_to_jobs(jobs.setdefault(message.text, []), index, message.to, messages)
        for text, groups in jobs.items():
            for group in groups:
                results.update(self._send_job(text, [messages[i] for i in group], group))
        return [results[i] for i in range(len(messages))]

    def _earlier_sends(self, messages: list[OutgoingSMS]) -> dict[int, SendResult]:
        """Results for the keys this sender posted before (a retried batch): OVH's
        history says whether each left; what left is answered ok, never sent twice.
        One journal read per batch; OVH is asked only about keys found in it."""
        try:
            noted = self.journal.lookup([m.key for m in messages])
            if not noted:
                return {}
            sent = self.already_sent(list(noted))
        except api_error() as error:
            return {i: SendResult(m.key, ok=False, transient=True, error=describe(error))
                    for i, m in enumerate(messages) if m.key in noted}
        except Exception:
            log.exception("OVH SMS: journal unavailable; batch of %d postponed", len(messages))
            return {i: SendResult(m.key, ok=False, transient=True, error="journal des envois indisponible")
                    for i, m in enumerate(messages)}
        return {i: SendResult(m.key, ok=True, provider_ref=sent[m.key]) for i, m in enumerate(messages) if m.key in sent}

    def _send_job(self, text: str, messages: list[OutgoingSMS], indexes: list[int]) -> dict[int, SendResult]:
        length = sms.measure(text)  # GSM-7 → 7bit; anything else (another script) → 8bit, i.e. UCS-2
        body = dict(message=text, receivers=[m.to for m in messages], noStopClause=True,
                    coding=length.coding, charset="UTF-8", validityPeriod=self.validity_minutes,
                    priority="high", tag=job_tag(messages))
        try:
            self.journal.record([(m.key, body["tag"], m.to) for m in messages])
        except Exception:  # no note, no send: a crash could not be told from a failure
            log.exception("OVH SMS: journal unavailable; job of %d receivers postponed", len(messages))
            return {i: SendResult(m.key, ok=False, transient=True, error="journal des envois indisponible")
                    for i, m in zip(indexes, messages)}
        if self.sender:
            body["sender"] = self.sender
        else:
            body["senderForResponse"] = True
        try:
            report = self.client.post(f"/sms/{self.service_name}/jobs", **body)
        except api_error() as error:
            transient = is_transient(error)
            log.warning("OVH SMS: job of %d receivers refused (%s): %s",
                        len(messages), "temporaire" if transient else "définitif", describe(error))
            return {i: SendResult(m.key, ok=False, transient=transient, error=describe(error))
                    for i, m in zip(indexes, messages)}
        return _results_from_report(report or {}, messages, indexes)

    def already_sent(self, keys: list[str]) -> dict[str, str]:
        """key → OVH id for the keys OVH's history shows as sent (see the module doc).

        One ``GET /outgoing`` per noted key: this runs only for rows a crash left
        behind. API errors propagate; the outbox then retries the lookup later.
        """
        found = {}
        for key, (tag, receiver) in self.journal.lookup(list(keys)).items():
            ids = self.client.get(f"/sms/{self.service_name}/outgoing", tag=tag, receiver=receiver)
            if ids:
                found[key] = str(ids[0])
        return found

    # --- health (``vvs_core.interfaces``: /admin/extensions, vvs check) -------------

    HEALTH_TIMEOUT = 5.0

    def health(self) -> str | None:
        """Reads the SMS account (``GET /sms/{service}``, the keys' signature checked by
        OVH as for a sending): None when OVH answers and credits remain, else a French
        sentence. Sends nothing; ``HEALTH_TIMEOUT`` seconds at most."""
        where = f"Le compte SMS OVH {self.service_name}"
        saved = getattr(self.client, "_timeout", None)
        if saved is not None:
            self.client._timeout = min(float(saved), self.HEALTH_TIMEOUT)
        try:
            account = self.client.get(f"/sms/{self.service_name}") or {}
        except api_error() as error:
            return _health_problem(error, where)
        finally:
            if saved is not None:
                self.client._timeout = saved
        credits = account.get("creditsLeft") if isinstance(account, dict) else None
        if isinstance(credits, (int, float)) and credits <= 0:
            return f"{where} n'a plus de crédit : aucun SMS ne partira avant un rechargement."
        return None

    # --- callbacks (served by the core: vvs_core.providers.callbacks) ------------

    def parse_receipt(self, request):
        return callbacks.parse_receipt(request.params)

    def parse_inbound(self, request):
        return callbacks.parse_inbound(request.params)


def _health_problem(error, where: str) -> str:
    from ovh.exceptions import Forbidden, NotGrantedCall, ResourceNotFoundError

    status = getattr(error.response, "status_code", None)
    if isinstance(error, (NotGrantedCall, Forbidden)):
        return f"{where} n'est pas ouvert à ces clés (droits GET /sms/* à leur accorder)."
    if isinstance(error, ResourceNotFoundError):
        return f"{where} est inconnu d'OVH : vérifiez vvs.sms.ovh.service_name."
    if status in (400, 401, 403):  # invalid key, credential or signature
        return "OVH refuse les clés de l'application (clé, secret ou clé de consommateur) : aucun SMS ne partira."
    return f"{where} ne répond pas" + (f" (code {status})." if status else " : OVH est injoignable.")


def _add_to_jobs(groups: list[list[int]], index: int, to: str, messages) -> None:
    """A job holds each receiver once (OVH would merge duplicates and return one id)
    and at most JOB_RECEIVERS of them."""
    for group in groups:
        if len(group) < JOB_RECEIVERS and all(messages[i].to != to for i in group):
            group.append(index)
            return
    groups.append([index])


def job_tag(messages: list[OutgoingSMS]) -> str:
    """A short, stable tag naming the job in OVH's history (no personal data)."""
    digest = hashlib.sha1("\n".join(m.key for m in messages).encode()).hexdigest()
    return f"vvs-{digest[:16]}"


def _results_from_report(report: dict, messages, indexes) -> dict[int, SendResult]:
    ids = [str(i) for i in report.get("ids") or []]
    valid = list(report.get("validReceivers") or [])
    invalid = set(report.get("invalidReceivers") or [])
    ref_by_receiver = dict(zip(valid, ids)) if len(ids) == len(valid) else {}
    if not ref_by_receiver and valid:
        log.warning("OVH SMS: %d ids for %d valid receivers; receipts will not match", len(ids), len(valid))
    out = {}
    for index, message in zip(indexes, messages):
        if message.to in invalid:
            log.info("OVH SMS: receiver %s refused by OVH", mask_phone(message.to))
            out[index] = SendResult(message.key, ok=False, error="numéro refusé par OVH")
        elif message.to in valid:
            out[index] = SendResult(message.key, ok=True, provider_ref=ref_by_receiver.get(message.to))
        else:
            # Neither accepted nor refused: OVH said nothing; a retry will tell.
            out[index] = SendResult(message.key, ok=False, transient=True, error="OVH n'a pas confirmé ce numéro")
    return out


def check_settings(settings) -> None:
    """One clear line per mistake, at start-up."""
    for key in ("application_key", "application_secret", "consumer_key", "service_name"):
        if not settings.get(S + key):
            raise ConfigurationError(
                f"sms provider 'ovh' needs {S}{key} (or the environment variable "
                f"{(S + key).upper().replace('.', '_')}); see docs/providers.md")
    endpoint = settings.get(S + "endpoint") or ""
    if not (endpoint in REGIONS or endpoint.startswith(("http://", "https://"))):
        raise ConfigurationError(f"{S}endpoint = {endpoint!r}: use one of {', '.join(REGIONS)} or a full URL")
    sender = settings.get(S + "sender") or ""
    if sender and not SENDER.match(sender):
        raise ConfigurationError(
            f"{S}sender = {sender!r}: at most 11 letters, digits or spaces (as validated by OVH), or a number")
