"""E-mail over SMTP with pyramid_mailer, called by the outbox's delivery worker.

The outbox hands messages to a provider only after the transaction that created
them has committed, so ``send_immediately`` here still means "sent only after
commit"; pyramid_mailer's transactional ``send`` would join the worker's own
transaction for nothing.

Errors: a refused recipient or any 5xx answer fails that message for good; a
connection problem, a 4xx answer or a timeout is worth a retry. After a
connection-level failure the rest of the batch is not tried (the server is down
or unreachable: every message would wait for the timeout) and is retried later.

STARTTLS and implicit TLS verify the server's certificate against the system's
authorities (or ``vvs.email.smtp.ca_file``): repoze.sendmail's own STARTTLS does
not, so the connection is opened here.
"""
from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl

from email.utils import make_msgid, parseaddr
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message
from repoze.sendmail.mailer import SMTPMailer

from vvs_core.errors import ConfigurationError
from vvs_core.interfaces import OutgoingEmail, SendResult
from vvs_core.settings import Setting, as_float, as_int

log = logging.getLogger(__name__)

S = "vvs.email.smtp."
SECURITY = ("starttls", "tls", "none")
SETTINGS = [
    Setting(S + "host", "", "SMTP server name (required)."),
    Setting(S + "port", 587, "SMTP port: 587 for STARTTLS, 465 for implicit TLS, 25 without encryption.", parse=as_int),
    Setting(S + "security", "starttls", "`starttls` (upgrade the connection, required), `tls` (implicit TLS, port 465) or `none` (local relay only)."),
    Setting(S + "username", "", "SMTP login; empty: no authentication."),
    Setting(S + "password", "", "SMTP password (set VVS_EMAIL_SMTP_PASSWORD in the environment).", secret=True),
    Setting(S + "timeout", 10, "Seconds before an SMTP connection or answer is abandoned (retried later).", parse=as_float),
    Setting(S + "ca_file", "", "Extra certificate authority (PEM) to trust, for a relay with its own certificate."),
]


class _SMTPMailer(SMTPMailer):
    """repoze.sendmail's mailer with our timeout and a certificate-checking TLS."""

    def __init__(self, *, security: str, timeout: float, tls_context: ssl.SSLContext, **kwargs):
        super().__init__(no_tls=security != "starttls", force_tls=security == "starttls",
                         ssl=security == "tls", **kwargs)
        self.timeout = timeout
        self.tls_context = tls_context

    def smtp_factory(self):
        if self.ssl:
            connection = _SMTPSWithCRLF(self.hostname, int(self.port), timeout=self.timeout,
                                          context=self.tls_context)
        else:
            connection = _StartTLSWithContext(self.hostname, int(self.port), timeout=self.timeout)
            connection.tls_context = self.tls_context
        connection.set_debuglevel(self.debug_smtp)
        return connection


class _CRLFMixin:
    """repoze.sendmail hands over bytes with bare LF line ends, which smtplib sends
    as they are; RFC 5321 wants CRLF, and servers hardened against SMTP smuggling
    refuse bare LF."""

    def sendmail(self, from_addr, to_addrs, msg, *args, **kwargs):
        if isinstance(msg, bytes):
            msg = _BARE_LF.sub(b"\r\n", msg)
        return super().sendmail(from_addr, to_addrs, msg, *args, **kwargs)


_BARE_LF = re.compile(rb"(?<!\r)\n")


class _SMTPSWithCRLF(_CRLFMixin, smtplib.SMTP_SSL):
    pass


class _StartTLSWithContext(_CRLFMixin, smtplib.SMTP):
    tls_context: ssl.SSLContext | None = None

    def starttls(self, *args, **kwargs):
        kwargs.setdefault("context", self.tls_context)
        return super().starttls(*args, **kwargs)


def failure(exc: Exception) -> tuple[bool, str, bool]:
    """(transient, French reason, the server is unusable for the rest of the batch)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        return transient, f"destinataire refusé par le serveur ({', '.join(map(str, codes))})", False
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A wrong password is fixed by the operator: keep retrying meanwhile.
        return True, f"authentification SMTP refusée ({exc.smtp_code})", True
    if isinstance(exc, smtplib.SMTPResponseException):
        transient = 400 <= exc.smtp_code < 500
        return transient, f"refus du serveur SMTP ({exc.smtp_code})", False
    if isinstance(exc, (OSError, smtplib.SMTPException)):  # refused, reset, timeout, TLS, disconnect
        return True, f"serveur SMTP injoignable ({type(exc).__name__})", True
    return True, f"erreur SMTP ({type(exc).__name__})", True


class SMTPEmailSender:
    name = "smtp"

    def __init__(self, mailer: Mailer, sender: str):
        self.mailer = mailer
        self.sender = sender
        domain = parseaddr(sender)[1].rpartition("@")[2]
        self.domain = domain or "vvs.invalid"

    @classmethod
    def from_settings(cls, settings) -> "SMTPEmailSender":
        host = settings.get(S + "host") or ""
        if not host:
            raise ConfigurationError(
                f"email provider 'smtp' needs {S}host (or VVS_EMAIL_SMTP_HOST); see docs/providers.md")
        security = settings.get(S + "security") or "starttls"
        if security not in SECURITY:
            raise ConfigurationError(f"{S}security = {security!r}: use starttls, tls or none")
        username = settings.get(S + "username") or None
        password = settings.get(S + "password") or None
        if username and not password:
            raise ConfigurationError(f"{S}username is set but not the password: set VVS_EMAIL_SMTP_PASSWORD")
        context = ssl.create_default_context(cafile=settings.get(S + "ca_file") or None)
        smtp_mailer = _SMTPMailer(hostname=host, port=int(settings[S + "port"]), username=username,
                                  password=password, security=security,
                                  timeout=float(settings[S + "timeout"]), tls_context=context)
        return cls(Mailer(smtp_mailer=smtp_mailer), settings["vvs.email.sender"])

    HEALTH_TIMEOUT = 5.0

    def health(self) -> str | None:
        """Opens a connection as a sending would (EHLO, STARTTLS when required, login),
        says NOOP and leaves: None when the server answers, else a French sentence.
        Nothing is sent; at most ``HEALTH_TIMEOUT`` seconds per step."""
        smtp = self.mailer.smtp_mailer
        where = f"{smtp.hostname}:{smtp.port}"
        saved, smtp.timeout = smtp.timeout, min(float(smtp.timeout), self.HEALTH_TIMEOUT)
        connection = None
        try:
            connection = smtp.smtp_factory()
            code, _ = connection.ehlo()
            if not 200 <= code < 300:
                return f"Le serveur SMTP {where} refuse la présentation (code {code})."
            if connection.has_extn("starttls") and not smtp.no_tls:
                connection.starttls()
                connection.ehlo()
            elif smtp.force_tls:
                return f"Le serveur SMTP {where} ne propose pas STARTTLS, que les réglages exigent."
            if smtp.username and smtp.password:
                connection.login(smtp.username, smtp.password)
            code, _ = connection.noop()
            return None if 200 <= code < 300 else f"Le serveur SMTP {where} répond mal (code {code})."
        except smtplib.SMTPAuthenticationError:
            return f"Le serveur SMTP {where} refuse l'identifiant ou le mot de passe."
        except ssl.SSLError as exc:
            return f"Connexion chiffrée impossible avec le serveur SMTP {where} ({exc.reason or 'TLS'})."
        except (OSError, smtplib.SMTPException) as exc:
            return f"Le serveur SMTP {where} ne répond pas ({type(exc).__name__})."
        finally:
            smtp.timeout = saved
            if connection is not None:
                try:
                    connection.quit()
                except (OSError, smtplib.SMTPException):
                    connection.close()

    def send_batch(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        results, unusable = [], None
        for message in messages:
            if unusable is not None:
                results.append(SendResult(message.key, ok=False, transient=True, error=unusable))
                continue
            result, server_down = self._send_one(message)
            if server_down:
                unusable = result.error
            results.append(result)
        return results

    def _send_one(self, message: OutgoingEmail) -> tuple[SendResult, bool]:
        if not _plausible_address(message.to):
            return SendResult(message.key, ok=False, error="adresse invalide"), False
        message_id = make_msgid(domain=self.domain)
        mail = Message(
            subject=" ".join(str(message.subject).split()),  # no header injection
            sender=self.sender, recipients=[message.to],
            body=message.text, html=french_html(message.subject, message.text, message.html),
            extra_headers={"Message-ID": message_id, "Content-Language": "fr",
                           "X-VVS-Key": message.key,
                           **{k: " ".join(str(v).split()) for k, v in (message.headers or {}).items()}},
        )
        try:
            self.mailer.send_immediately(mail)
        except Exception as exc:
            transient, reason, server_down = failure(exc)
            log.warning("SMTP: message %s not sent: %s", message.key, reason)
            return SendResult(message.key, ok=False, transient=transient, error=reason), server_down
        return SendResult(message.key, ok=True, provider_ref=message_id.strip("<>")), False


def _plausible_address(address: str) -> bool:
    address = address or ""
    local, _, domain = address.rpartition("@")
    return (bool(local) and "." in domain.strip(".") and not any(c in address for c in "\r\n<>,; ")
            and len(address) <= 254)


def french_html(subject: str, text: str, given_html: str | None) -> str:
    """A whole French HTML document: the message's own HTML, or its text made safe."""
    if given_html and "<html" in given_html.lower():
        return given_html
    body = given_html or "\n".join(
        f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>"
        for paragraph in str(text).split("\n\n") if paragraph.strip())
    return ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(str(subject))}</title></head><body>{body}</body></html>")


