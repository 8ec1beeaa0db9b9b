"""Built-in providers for development: SMS written to the log, e-mail written to a folder.

Both follow the provider contract (``vvs_core.provider_contracts``), so the outbox
treats them exactly like OVH or SMTP. No credential, no network.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..interfaces import OutgoingEmail, OutgoingSMS, SendResult
from ..phones import mask_phone
from ..sms import measure

log = logging.getLogger(__name__)

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


def _one_line(text: str) -> str:
    # A message body must not be able to forge extra log lines.
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


class ConsoleSMSSender:
    """Writes each SMS to the ``vvs_core.notify.dev_providers`` logger, exactly as a
    real provider would receive it, with its alphabet and its number of parts."""

    name = "console"

    @classmethod
    def from_settings(cls, settings) -> "ConsoleSMSSender":
        return cls()

    def send_batch(self, messages: list[OutgoingSMS]) -> list[SendResult]:
        results = []
        for message in messages:
            if not _PHONE.match(message.to or ""):
                results.append(SendResult(message.key, ok=False, error="numéro invalide"))
                continue
            ref = f"console-{uuid.uuid4().hex[:16]}"
            length = measure(message.text)
            log.info("SMS à %s [%s] (%s, %d SMS, %d caractères) : %s", mask_phone(message.to), ref,
                     length.encoding, length.segments, len(message.text), _one_line(message.text))
            results.append(SendResult(message.key, ok=True, provider_ref=ref))
        return results


class NullSender:
    """Accepts every message at once and sends nothing: for load tests and
    benchmarks, where the cost of a real provider must not count."""

    name = "null"

    @classmethod
    def from_settings(cls, settings) -> "NullSender":
        return cls()

    def send_batch(self, messages) -> list[SendResult]:
        return [SendResult(m.key, ok=True, provider_ref=f"null-{m.key}") for m in messages]


class FolderEmailSender:
    """Writes each e-mail as an ``.eml`` file (open it with any mail client).

    The file is named after the notification's key, so the folder itself answers
    ``already_sent``: after a crash the outbox records what was written instead of
    writing it twice.
    """

    name = "folder"

    def __init__(self, folder: str, sender: str):
        self.folder = folder
        self.sender = sender

    @classmethod
    def from_settings(cls, settings) -> "FolderEmailSender":
        return cls(settings["vvs.email.folder"], settings["vvs.email.sender"])

    def send_batch(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        if not messages:
            return []
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:  # a full or read-only disk may recover
            return [SendResult(m.key, ok=False, transient=True, error=f"dossier inaccessible : {exc.strerror}")
                    for m in messages]
        return [self._write(message) for message in messages]

    def already_sent(self, keys: list[str]) -> dict[str, str]:
        found = {}
        for key in keys:
            if key and os.path.exists(self._path(key)):
                found[key] = self._ref(key)
        return found

    def _write(self, message: OutgoingEmail) -> SendResult:
        if "@" not in (message.to or "") or any(c in message.to for c in "\r\n"):
            return SendResult(message.key, ok=False, error="adresse invalide")
        key = message.key or uuid.uuid4().hex
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = " ".join(str(message.subject).split())  # no header injection
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=self._ref(key)[:24], domain="vvs.invalid")
        mail["X-VVS-Key"] = key
        for name, value in (message.headers or {}).items():
            mail[name] = " ".join(str(value).split())
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        path = self._path(key)
        partial = f"{path}.{uuid.uuid4().hex[:8]}.part"
        try:
            with open(partial, "wb") as fh:
                fh.write(mail.as_bytes())
            os.replace(partial, path)  # atomic: a crash never leaves half an e-mail behind
        except OSError as exc:
            return SendResult(message.key, ok=False, transient=True, error=f"écriture impossible : {exc.strerror}")
        return SendResult(message.key, ok=True, provider_ref=self._ref(key))

    def _ref(self, key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def _path(self, key: str) -> str:
        readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)[:80]
        return os.path.join(self.folder, f"{readable}-{self._ref(key)[:12]}.eml")
