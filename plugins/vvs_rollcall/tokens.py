"""The one-tap answer link of a person asked by a roll-call: ``/securite/r/<id>-<mac>``.

Signed for this one purpose (``vvs_core.web.links.signed``: no other token of vvs can be
replayed here, nor this one elsewhere), never stored, and usable without signing in: it
answers for that person in that roll-call only, and only while the roll-call is open.
"""
from __future__ import annotations

from vvs_core.web.links import signed, unsigned

PURPOSE = "rollcall-answer"


def answer_token(source, person_id: int) -> str:
    return signed(source, PURPOSE, int(person_id))


def person_id_of(source, token: str) -> int | None:
    """The person id a token was made for, or None for anything else (never raises). Links
    sent before December 2026 were this plugin's own HMAC: still accepted."""
    return unsigned(source, PURPOSE, token, legacy=lambda person_id: f"vvs-rollcall-answer:{person_id}")
