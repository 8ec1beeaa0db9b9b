"""Encrypted storage of proof files, sealed the core's one way (``vvs_core.encryption``:
MultiFernet under the keys of ``vvs.kyc.encryption_key``, rotatable), one file per proof under
``vvs.kyc.storage_dir``, named by a random id, mode 0600.

Deleting a file is not transactional, so it happens after the commit that records
the destruction; a file written by a transaction that then fails is removed at once.
The periodic sweeper (``tasks``) catches whatever a crash left behind.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet

from vvs_core.encryption import keyring

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[0-9a-f]{32}$")


class DocumentUnavailable(Exception):
    """The file is gone (destroyed) or cannot be decrypted with the configured keys."""


KEY_SETTING = "vvs.kyc.encryption_key"
PURPOSE = "vvs.kyc.documents"  # what the development key is derived for (vvs_core.encryption)


def cipher(settings) -> MultiFernet:
    """The keys of ``vvs.kyc.encryption_key`` (the first encrypts), or one derived
    from ``vvs.secret`` when none is set (development)."""
    return keyring(settings, KEY_SETTING, PURPOSE)


def storage_dir(settings) -> Path:
    folder = Path(settings["vvs.kyc.storage_dir"]).resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _path(settings, name: str) -> Path:
    if not _NAME.match(name or ""):
        raise DocumentUnavailable(name)
    return storage_dir(settings) / name


def write(settings, data: bytes) -> str:
    """Encrypt ``data`` into a new file; return its random name."""
    token = cipher(settings).encrypt(data)
    name = secrets.token_hex(16)
    fd = os.open(_path(settings, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(token)
        fh.flush()
        os.fsync(fh.fileno())
    return name


def read(settings, name: str) -> bytes:
    try:
        token = _path(settings, name).read_bytes()
        return cipher(settings).decrypt(token)
    except (FileNotFoundError, InvalidToken):
        raise DocumentUnavailable(name) from None


def exists(settings, name: str) -> bool:
    try:
        return _path(settings, name).exists()
    except DocumentUnavailable:
        return False


def remove(settings, name: str) -> None:
    try:
        _path(settings, name).unlink(missing_ok=True)
    except DocumentUnavailable:
        pass


def write_in_transaction(request, data: bytes) -> str:
    """Write now; remove the file again if the request's transaction does not commit."""
    settings = request.registry.settings
    name = write(settings, data)

    def cleanup(committed=False):
        if not committed:
            remove(settings, name)

    txn = request.tm.get()
    txn.addAfterCommitHook(cleanup)  # a failed commit: called with False
    txn.addAfterAbortHook(cleanup)   # an abort (an error in the view): called without argument
    return name


def remove_after_commit(request, name: str) -> None:
    """Unlink once the destruction is recorded (the sweeper retries if this is missed)."""
    settings = request.registry.settings

    def unlink(committed):
        if committed:
            try:
                remove(settings, name)
            except OSError:
                log.exception("could not remove proof file %s; the sweeper will", name)

    request.tm.get().addAfterCommitHook(unlink)


def stored_names(settings) -> list[tuple[str, float]]:
    """(name, modification time) of every proof file on disk."""
    out = []
    for entry in os.scandir(storage_dir(settings)):
        if entry.is_file() and _NAME.match(entry.name):
            out.append((entry.name, entry.stat().st_mtime))
    return out


def reseal_all(settings) -> int:
    """Encrypt every stored proof again with the first key (after a new key was put
    first); returns how many. A file no key opens is left as it is and logged."""
    ring, count = cipher(settings), 0
    for name, _mtime in stored_names(settings):
        path = _path(settings, name)
        try:
            token = ring.rotate(path.read_bytes())
        except FileNotFoundError:
            continue  # destroyed meanwhile
        except InvalidToken:
            log.warning("proof file %s opens with no key of %s", name, KEY_SETTING)
            continue
        fresh = path.with_name(name + ".new")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(token)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(fresh, path)  # atomic: a reader sees the old file or the new one
        count += 1
    return count
