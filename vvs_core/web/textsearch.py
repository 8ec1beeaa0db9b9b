"""Searching French text as people type it on a phone: « helene » finds « Hélène »,
« l'eglise » finds « l’Église », « coeur » finds « cœur ».

``fold`` gives the comparable form (no accents, lower case, ligatures spelt out, one kind
of apostrophe, single spaces); ``place_key`` a place's name as the commune search compares
it. ``sql_matches`` says whether a query is inside a column, in the database (a directory of 5,000
members searched in SQL, one page read): ``folded(column)`` is ``fold`` written in SQL —
on PostgreSQL ``translate``/``replace``/``lower`` over every letter of Latin-1 and Latin
Extended-A (the table is computed from ``fold`` itself, so both agree on them), on SQLite
``fold`` itself, registered on each connection (``register_sqlite_functions``).
"""

import re
import unicodedata
from functools import cache

from sqlalchemy import String, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_SPELT_OUT = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss",
                            "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
                            "‐": "-", "‑": "-", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_SPELT_OUT))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain.casefold()).strip()


def place_key(name: str | None) -> str:
    """Folded, hyphens and apostrophes as spaces, « st » spelt out: « L'Île-St-Denis » → « l ile saint denis »."""
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in re.split(r"[\s'-]+", fold(name)) if w)


# --- The same in SQL ---------------------------------------------------------------

SQLITE_FOLD = "vvs_fold"
# Letters a French name or street may hold: Latin-1 and Latin Extended-A, with the
# apostrophes and dashes fold spells out.
_SQL_ALPHABET = [chr(c) for c in range(0xC0, 0x180) if chr(c) not in "×÷"] + ["’", "‘", "ʼ", "`", "´", "‐", "‑", "–", "—"]


@cache
def _postgresql_tables() -> tuple[str, str, tuple[tuple[str, str], ...], str]:
    """(translate's from and to, replacements of one letter by several, a regular expression of those letters)."""
    source, target, longer = [], [], []
    for char in _SQL_ALPHABET:
        plain = fold(char) if char.strip() else char
        if len(plain) == 1:
            source.append(char)
            target.append(plain)
        elif plain:
            longer.append((char, plain))
    letters = "".join(f"\\u{ord(c):04x}" for c in source + [char for char, _plain in longer])
    return "".join(source), "".join(target), tuple(longer), f"[{letters}]"


class folded(FunctionElement):
    """``fold(column)`` computed by the database (see the module's docstring)."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element, compiler, **kw):
    return f"{SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element, compiler, **kw):
    source, target, longer, letters = _postgresql_tables()
    text = func.translate(plain := func.coalesce(*element.clauses.clauses, ""), source, target)
    for char, spelt in longer:  # after translate, which would change the "ʼ" of « ŉ » → « ʼn »
        text = func.replace(text, char, spelt)
    text = func.lower(case((plain.op("~")(letters), text), else_=plain))  # none (most names): no look-ups
    return compiler.process(func.btrim(func.regexp_replace(text, r"\s+", " ", "g")), **kw)


def sql_matches(query: str, *columns):
    """A WHERE clause: the folded ``query`` is inside one of ``columns`` (folded), as
    ``fold`` would say in Python; an empty query matches all (None: no clause)."""
    wanted = fold(query)
    if not wanted:
        return None
    return or_(*(folded(column).contains(wanted, autoescape=True) for column in columns))


def register_sqlite_functions(dbapi_connection) -> None:
    """Give a new SQLite connection ``vvs_fold`` (what ``folded`` calls there)."""
    dbapi_connection.create_function(SQLITE_FOLD, 1, fold, deterministic=True)
