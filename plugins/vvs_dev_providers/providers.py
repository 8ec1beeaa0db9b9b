"""The development providers: SMS written to the log, e-mail written to a folder, calls
written to a folder (script, and a WAV spoken by ``espeak-ng`` when installed), push
notifications written to the log, and ``null`` senders for benchmarks.

They follow the provider contracts (``vvs_core.providers.contracts``), so the outbox
treats them exactly like OVH or SMTP. No credential, no network.
"""

import hashlib
import logging
import os
import re
import shutil
import subprocess
import uuid
import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from vvs_core.interfaces import CallbackRefused, CallEvent, InboundSMS, OutgoingCall, OutgoingEmail, OutgoingSMS, SendResult
from vvs_core.accounts.phones import mask_phone
from vvs_core.clock import aware, utcnow
from vvs_core.notify.sms import measure
from vvs_core.providers.push import OutgoingPush
from vvs_core.web.timefmt import zone

log = logging.getLogger(__name__)

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


def _one_line(text: str) -> str:
    # A message body must not be able to forge extra log lines.
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


def _log_each(messages, prefix: str, problem, write) -> list[SendResult]:
    """The results of a sender that only logs: ``problem(message)`` (a French reason, or None)
    refuses a message; ``write(ref, message)`` logs the others under a new reference."""
    results = []
    for message in messages:
        ref, error = f"{prefix}-{uuid.uuid4().hex[:16]}", problem(message)
        if error is None:
            write(ref, message)
        results.append(SendResult(message.key, ok=False, error=error) if error else
                       SendResult(message.key, ok=True, provider_ref=ref))
    return results


class ConsoleSMSSender:
    """Writes each SMS to the ``vvs_dev_providers.providers`` logger, exactly as a
    real provider would receive it, with its alphabet and its number of parts."""

    name = "console"

    @classmethod
    def from_settings(cls, settings) -> "ConsoleSMSSender":
        return cls()

    def send_batch(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        return _log_each(messages, "console", lambda m: None if _PHONE.match(m.to or "") else "numéro invalide",
                         self._log)

    @staticmethod
    def _log(ref: str, message: OutgoingSMS) -> None:
        length = measure(message.text)
        log.info("SMS à %s [%s] (%s, %d SMS, %d caractères) : %s", mask_phone(message.to), ref,
                 length.encoding, length.segments, len(message.text), _one_line(message.text))

    def parse_inbound(self, request) -> InboundSMS:
        """An SMS "received" on the development number: POST ``from`` (E.164), ``text``
        and ``id`` to ``/fournisseurs/console/TOKEN/sms-recu`` (with
        ``vvs.sms.console.callback_token`` set) to try what a real provider's call does
        (STOP, an alert by SMS, a confirmation code)."""
        sender, text, ref = (str(request.params.get(k) or "") for k in ("from", "text", "id"))
        if not _PHONE.match(sender) or not text.strip() or len(text) > 1600 or not ref or len(ref) > 100:
            raise CallbackRefused("from (E.164), text et id sont requis")
        return InboundSMS(sender=sender, text=text, provider=self.name, provider_id=ref)


class NullSender:
    """Accepts every message at once and sends nothing: for load tests and
    benchmarks, where the cost of a real provider must not count."""

    name = "null"

    @classmethod
    def from_settings(cls, settings) -> "NullSender":
        return cls()

    def send_batch(self, messages) -> list[SendResult]:
        return [SendResult(m.key, ok=True, provider_ref=f"null-{m.key}") for m in messages]


def folder_problem(folder: str, what: str) -> str | None:
    """``health()`` of a provider that writes into ``folder`` (created at the first write):
    None when it can write there, else a French sentence. Creates nothing."""
    path = os.path.abspath(folder)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not os.path.isdir(path):
        return f"Le dossier {what} {folder} n'est pas un dossier."
    if not os.access(path, os.W_OK | os.X_OK):
        return f"Le dossier {what} {folder} n'est pas accessible en écriture."
    return None


class _FolderWriter:
    """What the folder providers share: one file a message, named after the notification's
    key so that the folder itself answers ``already_sent`` (after a crash the outbox records
    what was written instead of writing it twice), and written whole or not at all."""

    suffix = ""

    def __init__(self, folder: str):
        self.folder = folder

    def send_batch(self, messages) -> list[SendResult]:
        if not messages:
            return []
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:  # a full or read-only disk may recover
            return [SendResult(m.key, ok=False, transient=True, error=f"dossier inaccessible : {exc.strerror}")
                    for m in messages]
        return [self._write(message) for message in messages]

    def already_sent(self, keys: list[str]) -> dict[str, str]:
        return {key: self._ref(key) for key in keys if key and os.path.exists(self._path(key))}

    def _write(self, message) -> SendResult:
        raise NotImplementedError

    def _save(self, message, path: str, data: bytes) -> SendResult | None:
        """Writes ``data`` at ``path`` (atomic: a crash never leaves half a file behind); a
        transient failure when the disk refuses."""
        partial = f"{path}.{uuid.uuid4().hex[:8]}.part"
        try:
            with open(partial, "wb") as fh:
                fh.write(data)
            os.replace(partial, path)
        except OSError as exc:
            return SendResult(message.key, ok=False, transient=True, error=f"écriture impossible : {exc.strerror}")
        return None

    def _ref(self, key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def _path(self, key: str, suffix: str | None = None) -> str:
        readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)[:80]
        return os.path.join(self.folder, f"{readable}-{self._ref(key)[:12]}{self.suffix if suffix is None else suffix}")


class FolderEmailSender(_FolderWriter):
    """Writes each e-mail as an ``.eml`` file (open it with any mail client)."""

    name = "folder"
    suffix = ".eml"

    def __init__(self, folder: str, sender: str):
        super().__init__(folder)
        self.sender = sender

    @classmethod
    def from_settings(cls, settings) -> "FolderEmailSender":
        return cls(settings["vvs.email.folder"], settings["vvs.email.sender"])

    def health(self) -> str | None:
        return folder_problem(self.folder, "des e-mails")

    def _write(self, message: OutgoingEmail) -> SendResult:
        if "@" not in (message.to or "") or any(c in message.to for c in "\r\n"):
            return SendResult(message.key, ok=False, error="adresse invalide")
        key = message.key or uuid.uuid4().hex
        # Lines up to RFC 5322's 998 characters: a long link in List-Unsubscribe stays a
        # plain <URL> (folded at 78, it would become an encoded-word no client reads).
        mail = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = " ".join(str(message.subject).split())  # no header injection
        mail["Date"] = format_datetime(aware(utcnow()).astimezone(zone()))  # Paris time, as the pages say it
        mail["Message-ID"] = make_msgid(idstring=self._ref(key)[:24], domain="vvs.invalid")
        mail["X-VVS-Key"] = key
        for name, value in (message.headers or {}).items():
            mail[name] = " ".join(str(value).split())
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return (self._save(message, self._path(key), mail.as_bytes())
                or SendResult(message.key, ok=True, provider_ref=self._ref(key)))


class FolderVoiceCaller(_FolderWriter):
    """Development calls: each call's script is written as a text file (what would be
    read aloud, then the keys' prompt), and as a WAV file spoken in French when
    ``espeak-ng`` is installed. Named after the notification's key, so the folder
    answers ``already_sent`` as the e-mail folder does.

    Nobody answers a file: the callback URL (``/fournisseurs/folder/TOKEN/appel``, written
    with ``curl`` examples under the script when ``vvs.voice.folder.callback_token`` is set)
    plays the person, with ``ref`` (the call's reference, in the script), ``etat``
    (``decroche``, ``ecoute``, ``touche``, ``sans-reponse``) and ``touches``.
    """

    name = "folder"
    suffix = ".txt"
    ESPEAK_SECONDS = 20
    STATES = {"decroche": "answered", "repondeur": "answered", "ecoute": "listened", "touche": "keypad",
              "sans-reponse": "failed", "occupe": "failed", "fin": "completed"}

    def __init__(self, folder: str, speak: bool = True, callback_url: str = ""):
        super().__init__(folder)
        self.espeak = shutil.which("espeak-ng") if speak else None
        self.callback_url = callback_url  # written under each script, to play the person with curl

    @classmethod
    def from_settings(cls, settings) -> "FolderVoiceCaller":
        from vvs_core.web.links import SETTING, public_base_url

        token = settings.get("vvs.voice.folder.callback_token") or ""
        url = f"{public_base_url(settings)}/fournisseurs/folder/{token}/appel" if token and settings.get(SETTING) else ""
        return cls(settings["vvs.voice.script_folder"], callback_url=url)

    def _write(self, call: OutgoingCall) -> SendResult:
        if not _PHONE.match(call.to or ""):
            return SendResult(call.key, ok=False, error="numéro invalide")
        key = call.key or uuid.uuid4().hex
        ref = self._ref(key)
        script = (f"Appel vers {mask_phone(call.to)} (référence {ref})\n\n{call.text}\n\n{call.prompt}\n").strip() + "\n"
        if self.callback_url:
            script += (f"\n---\nPour jouer la personne (développement) :\n"
                       f"curl -d ref={ref} -d etat=decroche {self.callback_url}\n"
                       f"curl -d ref={ref} -d {'etat=touche -d touches=1' if call.prompt else 'etat=ecoute'} {self.callback_url}\n")
        if failed := self._save(call, self._path(key), script.encode("utf-8")):
            return failed
        if self.espeak:
            self._speak(f"{call.text}\n{call.prompt}", self._path(key, ".wav"))
        log.info("Appel vers %s [%s] : %s", mask_phone(call.to), ref, _one_line(call.text))
        return SendResult(call.key, ok=True, provider_ref=ref)

    def _speak(self, text: str, wav: str) -> None:
        # The text goes through stdin: a text starting with "-" is never an option.
        try:
            subprocess.run([self.espeak, "-v", "fr", "-b", "1", "-w", wav, "--stdin"], input=text.encode("utf-8"),
                           timeout=self.ESPEAK_SECONDS, check=True, capture_output=True)
        except (OSError, subprocess.SubprocessError):
            log.warning("espeak-ng could not write %s; the script is there", wav, exc_info=True)

    def parse_call_event(self, request) -> CallEvent:
        params = request.params
        ref = str(params.get("ref") or "").strip()
        if not re.fullmatch(r"[0-9a-f]{32}", ref):
            raise CallbackRefused("référence d'appel manquante ou invalide")
        state = self.STATES.get(str(params.get("etat") or ""))
        if state is None:
            raise CallbackRefused(f"état inconnu ; états : {', '.join(self.STATES)}")
        digits = str(params.get("touches") or "")
        if state == "keypad" and not re.fullmatch(r"[0-9*#]{1,8}", digits):
            raise CallbackRefused("touches manquantes ou invalides")
        return CallEvent(ref, state, digits=digits if state == "keypad" else "",
                         by_machine=params.get("etat") == "repondeur",
                         error="pas de réponse" if state == "failed" else "")


class LogPushSender:
    """Writes each push notification to the log: development without push keys."""

    name = "log"

    @classmethod
    def from_settings(cls, settings) -> "LogPushSender":
        return cls()

    def send_batch(self, messages: list[OutgoingPush]) -> list[SendResult]:
        return _log_each(messages, "log", lambda m: None if m.devices else "aucun appareil abonné", self._log)

    @staticmethod
    def _log(ref: str, message: OutgoingPush) -> None:
        log.info("push [%s] vers %d appareil(s) : %s", ref, len(message.devices), message.title.replace("\n", " "))
