"""The one-tap answer link of a person asked by a roll-call: ``/securite/r/<id>-<mac>``.

Signed with ``vvs.secret`` for this one purpose (the message names it, so no other
token of vvs can be replayed here, nor this one elsewhere), never stored, and usable
without signing in: it answers for that person in that roll-call only, and only while
the roll-call is open. 22 characters of HMAC-SHA256 (132 bits) keep the SMS short.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from vvs_core.models import row_id

PURPOSE = b"vvs-rollcall-answer:"
MAC_LENGTH = 22


def _mac(secret: str, person_id: int) -> str:
    digest = hmac.new(secret.encode(), PURPOSE + str(int(person_id)).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:MAC_LENGTH]


def answer_token(secret: str, person_id: int) -> str:
    return f"{int(person_id)}-{_mac(secret, person_id)}"


def person_id_of(secret: str, token: str) -> int | None:
    """The person id a token was made for, or None for anything else (never raises)."""
    raw_id, _, mac = str(token or "").partition("-")
    if (person_id := row_id(raw_id)) is None or len(mac) != MAC_LENGTH:
        return None
    if not hmac.compare_digest(_mac(secret, person_id), mac):
        return None
    return person_id
