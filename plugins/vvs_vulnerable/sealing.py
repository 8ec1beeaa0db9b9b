"""The register's entries sealed apart from every other data, the core's one way
(``vvs_core.encryption``: MultiFernet) under the register's own keys,
``vvs.vulnerable.encryption_key`` (several keys separated by spaces: the first seals,
every one unseals, so a key rotates without locking an entry out; ``vvs reseal``
re-seals the entries with the first). Empty: one key derived from ``vvs.secret`` for
development (the plugin warns at start-up)."""
from __future__ import annotations

import json

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from vvs_core.encryption import keyring as core_keyring
from vvs_core.encryption import reseal, seal_text, unseal_text

SETTING = "vvs.vulnerable.encryption_key"
PURPOSE = "vvs.vulnerable.register"  # what the development key is derived for


def keyring(settings):
    return core_keyring(settings, SETTING, PURPOSE)


def seal(settings, data: dict) -> str:
    return seal_text(keyring(settings), json.dumps(data, ensure_ascii=False))


def unseal(settings, token: str) -> dict:
    """The entry's data; {} for an erased entry or one no key opens (logged by the caller)."""
    text = unseal_text(keyring(settings), token)
    if text is None:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}


def reseal_all(dbsession, settings) -> int:
    """Seal every entry again with the first key; returns how many (an entry no key
    opens is left as it is)."""
    from .models import VulnerableEntry

    ring, count = keyring(settings), 0
    for entry in dbsession.scalars(select(VulnerableEntry).where(VulnerableEntry.sealed != "")):
        try:
            entry.sealed = reseal(ring, entry.sealed)
            count += 1
        except InvalidToken:
            continue
    dbsession.flush()
    return count
