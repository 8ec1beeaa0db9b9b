"""Encryption at rest: the one way the core and plugins seal a secret they keep.

Every kind of secret kept (agents' TOTP seeds, proof-of-address files…) has **its own
key setting**, declared with ``key_setting(name, what)``: one or more Fernet keys
separated by spaces (``VVS_…`` in production). The first key seals; every key of the
list unseals (``cryptography``'s MultiFernet: AES-128-CBC + HMAC-SHA256, with the time
of sealing in the token). So keys rotate without locking anyone out:

1. put a new key first and keep the old ones after it (``NEW OLD``), restart: what
   was sealed with an old key still opens, what is sealed from now uses the new one;
2. re-seal what is kept (``reseal``: the plugin's own command or migration does it);
3. remove the old key.

Left empty, the setting stands for one key derived from ``vvs.secret`` and the secret's
purpose (development only: the owner of the setting warns at start-up outside
development). That derived key stays last in every ring, to unseal only: setting a key
for the first time locks nothing out, and once ``reseal`` has moved everything onto the
set keys, ``vvs.secret`` plays no part: changing it (sessions, signed links) leaves
sealed secrets readable.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigurationError
from .settings import Setting

GENERATE = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def parse_keys(value) -> tuple[str, ...]:
    """The keys of a key setting, checked: spaces or commas between them."""
    if isinstance(value, (list, tuple)):
        keys = tuple(str(k).strip() for k in value if str(k).strip())
    else:
        keys = tuple(k for k in str(value or "").replace(",", " ").split() if k)
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(f"key {number} is not a Fernet key (32 bytes in URL-safe base64); "
                             f"generate one with `{GENERATE}`") from None
    return keys


def key_setting(name: str, what: str) -> Setting:
    """The declaration of the key setting of one kind of secret (``what``: in English,
    for docs/configuration.md)."""
    return Setting(name, (), (
        f"Fernet keys sealing {what} at rest (`{name.upper().replace('.', '_')}`), separated by spaces: "
        "the first seals, every one unseals, so a new key put first rotates them without locking "
        "anyone out (docs/architecture.md, \"Encryption at rest\"). Empty: one key derived from "
        "vvs.secret, for development only (changing vvs.secret would then make them unreadable)."),
        secret=True, parse=parse_keys)


def derived_key(settings, purpose: str) -> str:
    """The development key of ``purpose``, derived from ``vvs.secret`` (HKDF-SHA256)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        str(settings["vvs.secret"]).encode())
    return base64.urlsafe_b64encode(raw).decode()


def keyring(settings, name: str, purpose: str) -> MultiFernet:
    """The keys of setting ``name`` (the first seals), then the key derived for
    ``purpose`` from ``vvs.secret``, which seals only while the setting is empty and
    unseals always: setting a key for the first time locks nothing out, and ``reseal``
    then moves what the derived key sealed onto it. A wrong key is a
    ConfigurationError naming the setting."""
    try:
        keys = parse_keys(settings.get(name) or ())
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {exc}") from None
    return _ring(keys, str(settings["vvs.secret"]), purpose)


@lru_cache(maxsize=32)
def _ring(keys: tuple[str, ...], secret: str, purpose: str) -> MultiFernet:
    # built once per (keys, secret, purpose): a page may unseal a whole list
    return MultiFernet([Fernet(k) for k in (*keys, derived_key({"vvs.secret": secret}, purpose))])


def seal_text(ring: MultiFernet, text: str) -> str:
    return ring.encrypt(text.encode("utf-8")).decode("ascii")


def unseal_text(ring: MultiFernet, token: str) -> str | None:
    """The text, or None when no key of the ring sealed ``token`` (or it is not one)."""
    if not token:
        return None
    try:
        return ring.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return None


def reseal(ring: MultiFernet, token: str) -> str:
    """``token`` sealed again with the first key (raises InvalidToken when no key opens it)."""
    return ring.rotate(token.encode("ascii")).decode("ascii")
