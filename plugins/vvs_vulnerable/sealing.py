"""The register's entries sealed apart from every other data: Fernet (AES-128-CBC +
HMAC-SHA256) under the register's own keys, ``vvs.vulnerable.encryption_key`` (several
keys separated by spaces: the first seals, every one unseals, so a key rotates without
locking an entry out). Empty: one key derived from ``vvs.secret`` for development (the
plugin warns at start-up), as vvs_kyc does for its proof files."""
from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SETTING = "vvs.vulnerable.encryption_key"
GENERATE = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def parse_keys(value) -> tuple[str, ...]:
    keys = tuple(k for k in str(value or "").replace(",", " ").split() if k)
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(f"key {number} is not a Fernet key; generate one with `{GENERATE}`") from None
    return keys


def keyring(settings) -> MultiFernet:
    return _keyring(tuple(settings.get(SETTING) or ()), str(settings["vvs.secret"]))


@lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...], secret: str) -> MultiFernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vvs.vulnerable.register").derive(
        secret.encode())
    # The derived key comes last: it unseals what was sealed before a key was set.
    return MultiFernet([Fernet(k) for k in (*keys, base64.urlsafe_b64encode(derived).decode())])


def seal(settings, data: dict) -> str:
    return keyring(settings).encrypt(json.dumps(data, ensure_ascii=False).encode("utf-8")).decode("ascii")


def unseal(settings, token: str) -> dict:
    """The entry's data; {} for an erased entry or one no key opens (logged by the caller)."""
    if not token:
        return {}
    try:
        return json.loads(keyring(settings).decrypt(token.encode("ascii")).decode("utf-8"))
    except (InvalidToken, ValueError, UnicodeError):
        return {}
