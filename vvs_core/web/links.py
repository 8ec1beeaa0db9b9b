"""Absolute links: every link that leaves the site (SMS, e-mails, Atom and CAP feeds,
iCal, printed QR codes, notifications, plugins' JSON answers) is built here, on
``vvs.public_url``.

One rule, whatever builds the message: the public address, never the host of the
request being served. A worker that renders a queued e-mail has no visitor's
request, a page opened through ``127.0.0.1`` must not send links to ``127.0.0.1``,
and a ``Host`` header is chosen by whoever sends it. ``tests/core/test_links.py``
fails when code elsewhere reads ``vvs.public_url`` or calls ``route_url``. A link that
acts without a session carries a token from ``signed``, checked by ``unsigned``.

``vvs.public_url`` left unset is ``http://localhost:PORT``, the port the development
server listens on (``PORT=6711 make run`` serves and links on 6711). In production
(see ``is_development``) an unset or local public URL is one warning line at start-up.
"""

import base64
import hashlib
import hmac
import logging
import os
from ipaddress import ip_address
from urllib.parse import urlencode, urlsplit

from pyramid.request import Request

from vvs_core.clock import timestamp
from vvs_core.encryption import derived_key

log = logging.getLogger(__name__)

SETTING = "vvs.public_url"
ENV = "VVS_PUBLIC_URL"
DEFAULT_PORT = "6543"


# --- building links ----------------------------------------------------------------

def public_base_url(source) -> str:
    """``vvs.public_url`` without its trailing slash; ``source``: a request, a
    registry or the settings."""
    settings = getattr(getattr(source, "registry", source), "settings", source)
    return str(settings[SETTING]).rstrip("/")


def public_host(source) -> str:
    """The host name of the public address (tag URIs of feeds, e-mail ids)."""
    return urlsplit(public_base_url(source)).hostname or "localhost"


def absolute_url(source, target: str, *elements, **kw) -> str:
    """The absolute public link to a route or a path.

    ``source``: the request, or the registry when there is none. ``target``: a route
    name (its arguments as keywords, ``_query`` and ``_anchor`` as for
    ``request.route_url``) or a path starting with "/" (``_query`` accepted).
    """
    base = public_base_url(source)
    if target.startswith("/"):
        query = kw.pop("_query", None)
        if kw or elements:
            raise TypeError(f"a path takes only _query, not {sorted(kw) or elements}")
        suffix = ("?" + (query if isinstance(query, str) else urlencode(query, doseq=True))) if query else ""
        return base + target + suffix
    return _request_for(source).route_url(target, *elements, _app_url=base, **kw)


def _request_for(source):
    if hasattr(source, "route_url"):
        return source
    request = Request.blank("/")
    request.registry = source
    return request


# --- signed links: the one way a link acts without a session ---------------------

def _mac(source, message: str, purpose: str | None = None) -> bytes:
    settings = getattr(getattr(source, "registry", source), "settings", source)
    key = str(settings["vvs.secret"]) if purpose is None else derived_key(settings, f"signed-link:{purpose}")
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()


def signed(source, purpose: str, row_id: int, expires=None) -> str:
    """A row's id and 22 URL-safe base64 characters (132 bits) of its HMAC under the key of ``purpose``
    (``derived_key``): ``12-…``, or ``12~1767225600-…`` if it ``expires`` (a datetime, signed too)."""
    body = f"{int(row_id)}" + (f"~{int(expires.timestamp())}" if expires else "")
    return f"{body}-{base64.urlsafe_b64encode(_mac(source, body, purpose)).decode()[:22]}"


def unsigned(source, purpose: str, token, legacy=None) -> int | None:
    """The id of a ``signed`` token, or None (another purpose's, tampered, expired, non-ASCII, too long).
    ``legacy(id)``: what a plugin's own HMAC of ``vvs.secret`` signed in links already sent, or None."""
    token = str(token or "")
    body, _, mac = token.partition("-")
    value, tilde, expiry = body.partition("~")
    if not (token.isascii() and len(token) <= 200 and value.isdigit() and len(value) <= 9) or tilde and not expiry.isdigit():
        return None
    if hmac.compare_digest(base64.urlsafe_b64encode(_mac(source, body, purpose)).decode()[:22], mac):
        return int(value) if not tilde or int(expiry) > timestamp() else None
    old = _mac(source, old) if legacy and not tilde and (old := legacy(int(value))) else b""
    forms = (base64.urlsafe_b64encode(old).decode()[:22], old.hex()[:32], old.hex()[:40]) if old else ()
    return int(value) if any(hmac.compare_digest(mac, form) for form in forms) else None


# --- the default, and the start-up check ------------------------------------------

def is_set(raw: dict, environ=None) -> bool:
    """Did the administrator choose the public URL (in the .ini or the environment)?"""
    environ = os.environ if environ is None else environ
    return bool(environ.get(ENV) or raw.get(SETTING))


def local_url(port=None, environ=None) -> str:
    """The development address: ``http://localhost:PORT`` (``http_port=`` given to
    pserve, else the ``PORT`` variable, else 6543), where ``make run`` serves."""
    environ = os.environ if environ is None else environ
    return f"http://localhost:{port or environ.get('PORT') or DEFAULT_PORT}"


def with_default_public_url(raw: dict, port=None, environ=None) -> dict:
    """``raw`` settings with ``vvs.public_url`` defaulting to the served port."""
    if is_set(raw, environ):
        return raw
    return {**raw, SETTING: local_url(port, environ)}


def is_development(settings) -> bool:
    """development.ini and ``make run``: plain-HTTP cookies and the queue inside the
    web process. Every deployment described in docs/ has Secure cookies (HTTPS) or
    a separate queue (Redis, RabbitMQ), and is treated as production."""
    return not settings.get("vvs.secure_cookies") and settings.get("vvs.broker_url") == "inline"


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def public_url_problem(settings, chosen: bool) -> str | None:
    """The warning to log at start-up in production, or None."""
    if is_development(settings):
        return None
    url = settings[SETTING]
    if not chosen:
        what = f"{SETTING} is not set"
    elif is_local(url):
        what = f"{SETTING} = {url} is a local address"
    else:
        return None
    return (f"{what}: links in SMS, e-mails, feeds and QR codes point to {url}, which residents cannot "
            f"open; set {SETTING} (or {ENV}) to the address residents use, e.g. https://voisins.example.fr")


def warn_about_public_url(settings, chosen: bool) -> None:
    problem = public_url_problem(settings, chosen)
    if problem:
        log.warning(problem)
