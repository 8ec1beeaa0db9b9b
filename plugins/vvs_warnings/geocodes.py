"""From a warning's geocodes to départements, and from a département to its communes.

MeteoAlarm's CAP messages for France name their areas by EMMA_ID geocodes (one per
département) and often carry no polygon. The plugin ships a small table from those
codes to département codes (``EMMA_TO_DEPARTEMENT``); ``vvs.warnings.geocodes`` adds
or corrects entries (``FR077=77`` …) without a release. A geocode named
``DEPARTEMENT`` (or ``INSEE_DEP``) names the département directly. A commune belongs
to a département by its INSEE code: the first two characters (``2A``/``2B`` in
Corsica), three for the overseas départements (971 … 976).
"""
from __future__ import annotations

# Metropolitan départements, 01 … 95 and 2A/2B; overseas 971 … 976.
DEPARTEMENTS = tuple([f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
                     + ["971", "972", "973", "974", "976"])

# EMMA_ID → département. MeteoAlarm numbers France's areas "FR" + three digits; the
# shipped table follows the département number (FR077 → 77, FR02A → 2A). Check it
# against MeteoAlarm's geocode list before production; vvs.warnings.geocodes corrects it.
EMMA_TO_DEPARTEMENT = {f"FR{d:0>3}": d for d in DEPARTEMENTS}

DIRECT_NAMES = {"DEPARTEMENT", "INSEE_DEP", "DEP"}


def parse_overrides(value) -> dict[str, str]:
    """``vvs.warnings.geocodes``: "CODE=DEP" pairs, spaces or lines between them."""
    out = {}
    for item in str(value or "").split():
        code, sep, dep = item.partition("=")
        dep = dep.strip().upper()
        if not sep or not code or dep not in DEPARTEMENTS:
            raise ValueError(f"{item!r}: write CODE=DÉPARTEMENT, for example FR077=77")
        out[code.strip().upper()] = dep
    return out


def departements_of(geocodes, overrides: dict[str, str] | None = None) -> set[str]:
    """The départements a warning's geocodes name (unknown codes are ignored)."""
    table = {**EMMA_TO_DEPARTEMENT, **(overrides or {})}
    out = set()
    for name, value in geocodes:
        name = (name or "").strip().upper()
        for code in (value or "").split():
            code = code.strip().upper()
            if name == "EMMA_ID" and code in table:
                out.add(table[code])
            elif name in DIRECT_NAMES and code in DEPARTEMENTS:
                out.add(code)
    return out


def departement_of_insee(insee: str) -> str:
    insee = (insee or "").upper()
    return insee[:3] if insee.startswith("97") else insee[:2]
