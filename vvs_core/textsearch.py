"""Searching French text as people type it on a phone: « helene » finds « Hélène »,
« l'eglise » finds « l’Église », « coeur » finds « cœur ».

``fold`` gives the comparable form (no accents, lower case, ligatures spelt out, one kind
of apostrophe, single spaces); ``matches`` says whether a query is inside any of the
texts. Used where a list is small enough to be filtered in Python (a community's
directory), so it behaves the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
import unicodedata

_SPELT_OUT = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss",
                            "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
                            "‐": "-", "‑": "-", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_SPELT_OUT))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain.casefold()).strip()


def matches(query: str, *texts: str | None) -> bool:
    """``query`` (folded) is inside one of ``texts`` (folded); an empty query matches all."""
    wanted = fold(query)
    return not wanted or any(wanted in fold(t) for t in texts if t)
