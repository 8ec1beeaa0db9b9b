"""French for text built from names and numbers, in one place for the core, the plugins
and the templates (where a ``french`` object bound to the request is a global):

- the article of a name contracts after « de » and « à »: ``de("Le Bourg")`` is
  "du Bourg", ``a("Les Charmettes")`` "aux Charmettes", ``a("le référent")`` "au
  référent", ``de("Esbly")`` "d'Esbly";
- numbers have the decimal comma and a narrow no-break space between thousands
  (Babel, CLDR): ``number(13.6, 1)`` is "13,6", ``number(11962)`` "11 962";
- plurals follow the French rule (0 and 1 are singular) through ``ngettext``, which
  asks the request's catalog when the page is not in French: ``count(0, "membre",
  "membres")`` is "0 membre", never a hand-made plural with a bracketed s.
"""

import re
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal

from vvs_core.web.textsearch import fold

SOURCE_LOCALE = "fr"
_FRENCH = Locale.parse("fr_FR")
# Masculine or plural articles contract; « la » and « l' » do not.
_ARTICLE = re.compile(r"^(?:(les|le|la)\s+|(l['’])\s*)(?=\S)", re.IGNORECASE)
_VOWEL = re.compile(r"^[aeiouyàâäéèêëîïôöûùüœæ]", re.IGNORECASE)
_AFTER_DE = {"le": "du ", "la": "de la ", "les": "des ", "l'": "de l'"}
_AFTER_A = {"le": "au ", "la": "à la ", "les": "aux ", "l'": "à l'"}


def _contract(name: str, table: dict, bare: str, elided: str | None = None) -> str:
    name = " ".join(str(name or "").split())
    match = _ARTICLE.match(name)
    if match:
        article = (match.group(1) or match.group(2)).lower().replace("’", "'")
        return table[article] + name[match.end():]
    if elided and _VOWEL.match(name):
        return elided + name
    return bare + name


def de(name: str) -> str:
    """« de » before ``name``: "du Bourg", "de la Ferme", "des Charmettes", "de l'Orme",
    "d'Esbly", "de Serris"."""
    return _contract(name, _AFTER_DE, "de ", "d'")


def elided(word: str, name: str) -> str:
    """« de » or « que » before a person's name: "d'Hélène", "qu'Agnès", "de Julien", "de Le Goff"."""
    name = " ".join(str(name or "").split())
    return f"{word[:-1]}'{name}" if re.match(r"h?[aeiouyàâäéèêëîïôöûùüœæ]", name, re.I) else f"{word} {name}"


def sort_key(name) -> tuple[str, str]:
    """French order of names in any locale (« Élodie » before « Emma », « Œuvray » as « Oeuvray »); SQL: ``folded``."""
    return fold(name), str(name or "")


def a(name: str) -> str:
    """« à » before ``name``: "au Bourg", "à la Ferme", "aux Charmettes", "à l'Orme",
    "à Serris"."""
    return _contract(name, _AFTER_A, "à ")


@lru_cache(maxsize=4096)  # Babel spends 30 µs a number (issue 16); pages show the same few
def number(value, decimals: int = 0) -> str:
    """``value`` written the French way, with at most ``decimals`` decimals: "11 962",
    "13,6", "0,5" (no trailing zero)."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_FRENCH)


@lru_cache(maxsize=4096)  # CLDR's rule costs 20 µs a call
def plural_is_singular(n) -> bool:
    """French rule (CLDR): 0 and 1 (and 1,5) take the singular."""
    return _FRENCH.plural_form(abs(n)) == "one"


def ngettext(singular: str, plural: str, n, request=None) -> str:
    """The form of a French message for ``n``; on a page in another language, the
    request's catalog (domain ``vvs``) gives it."""
    if request is not None and getattr(request, "locale_name", SOURCE_LOCALE) != SOURCE_LOCALE:
        return request.localizer.pluralize(singular, plural, n, domain="vvs")
    return singular if plural_is_singular(n) else plural


def count(n, singular: str, plural: str, request=None) -> str:
    """"0 membre", "2 membres", "1 200 habitants": the number and its noun."""
    return f"{number(n)} {ngettext(singular, plural, n, request)}"


def excerpt(text: str, length: int, lines: bool = False) -> str:
    """At most ``length`` characters of ``text``, cut between two words and ended by « … »; spaces and
    line breaks fold into one space unless ``lines`` keeps the breaks (``white-space: pre-line``)."""
    text = (text or "").strip() if lines else " ".join((text or "").split())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    if not text[length - 1].isspace() and any(c.isspace() for c in cut):
        cut = cut[: max(cut.rfind(" "), cut.rfind("\n"))]
    return cut.rstrip(" \n,;:.-–—«(") + "…"


class French:
    """The helpers above, bound to a request (its language), for templates: ``french``."""

    def __init__(self, request=None):
        self.request = request

    de, a, number, excerpt, elided, sort_key = map(staticmethod, (de, a, number, excerpt, elided, sort_key))

    def ngettext(self, singular: str, plural: str, n) -> str:
        return ngettext(singular, plural, n, self.request)

    def count(self, n, singular: str, plural: str) -> str:
        return count(n, singular, plural, self.request)
