"""French built from names and numbers: contractions of the article of a name,
Babel's numbers, the French plural rule; and no hand-made "(s)" or "13.6" anywhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from vvs_core.web import french

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, after_de, after_a", [
    ("Le Bourg", "du Bourg", "au Bourg"),
    ("Les Charmettes", "des Charmettes", "aux Charmettes"),
    ("La Ferme", "de la Ferme", "à la Ferme"),
    ("L'Orme", "de l'Orme", "à l'Orme"),
    ("L’Érable", "de l'Érable", "à l'Érable"),
    ("le référent de votre communauté", "du référent de votre communauté", "au référent de votre communauté"),
    ("les référents", "des référents", "aux référents"),
    ("l'équipe de la plateforme", "de l'équipe de la plateforme", "à l'équipe de la plateforme"),
    ("votre mairie", "de votre mairie", "à votre mairie"),
    ("Serris", "de Serris", "à Serris"),
    ("Esbly", "d'Esbly", "à Esbly"),
    ("Évry", "d'Évry", "à Évry"),
    ("Lesigny", "de Lesigny", "à Lesigny"),   # "Les" only as a word
    ("Lagny-sur-Marne", "de Lagny-sur-Marne", "à Lagny-sur-Marne"),
    ("  Le   Val  ", "du Val", "au Val"),
])
def test_article_contractions(name, after_de, after_a):
    assert french.de(name) == after_de
    assert french.a(name) == after_a


def test_numbers_have_the_decimal_comma_and_thousands_apart():
    nnbsp = "\u202f"
    assert french.number(11962) == f"11{nnbsp}962"
    assert french.number(13.6, 1) == "13,6"
    assert french.number(13.0, 1) == "13"
    assert french.number(1234567.891, 2) == f"1{nnbsp}234{nnbsp}567,89"


def test_french_plural_rule():
    assert french.count(0, "membre", "membres") == "0 membre"
    assert french.count(1, "membre", "membres") == "1 membre"
    assert french.count(2, "membre", "membres") == "2 membres"
    assert french.count(1500, "membre", "membres") == "1\u202f500 membres"
    assert french.ngettext("non lu", "non lus", 0) == "non lu"


def test_pages_in_another_language_ask_the_catalog():
    class Localizer:
        def pluralize(self, singular, plural, n, domain=None):
            return f"{domain}:{singular if n == 1 else plural}"

    class Request:
        locale_name = "en"
        localizer = Localizer()

    assert french.ngettext("membre", "membres", 0, Request()) == "vvs:membres"
    assert french.French(Request()).count(1, "membre", "membres") == "1 vvs:membre"


SOURCES = [p for pattern in ("vvs_core/**/*.pt", "vvs_core/**/*.py", "plugins/**/*.pt", "plugins/**/*.py",
                             "vvs_core/static/**/*.js", "plugins/*/static/**/*.js")
           for p in ROOT.glob(pattern) if "migrations" not in p.parts]
# A word with "(s)" glued to it: "membre(s)", "envoyée(s)" (not a call such as "describe_event(s)").
HAND_PLURAL = re.compile(r"(?<![\w.])[a-zà-ÿ]+\(s\)", re.IGNORECASE)
# A number made by hand for a person to read: '%.1f' % x, f"{x:.1f}", x.toFixed(1).
HAND_NUMBER = re.compile(r"""'%(?:\.\d)?[fg]'\s*%|\{[^{}]*:\.\d?f\}[^"']*\b(?:ha|km|m|Mo)\b|toFixed\(\d\)\.replace|:g\}""")
# de/à before the name of a community or commune, without vvs_core.web.french.
HAND_ARTICLE = re.compile(r"""\b(?:de|à)\s+\$?\{[^{}]*(?:community|commune|c\.community|row\['community'\])\.name\}""")


def offenders(pattern) -> list[str]:
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "log." not in line and "Setting(" not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    return found


def test_no_hand_made_plural_in_templates_and_messages():
    assert offenders(HAND_PLURAL) == []


def test_no_hand_made_number_for_people_to_read():
    assert offenders(HAND_NUMBER) == []


def test_no_de_or_a_before_a_name_without_the_contraction():
    assert offenders(HAND_ARTICLE) == []


def test_an_excerpt_ends_between_two_words_with_an_ellipsis():
    text = ("Camionnette blanche garée rue de l’Église depuis ce matin, deux hommes regardent "
            "les boîtes aux lettres « une à une » 🚐")
    assert french.excerpt(text, 60) == "Camionnette blanche garée rue de l’Église depuis ce matin…"
    assert len(french.excerpt(text, 60)) <= 60
    assert french.excerpt("Bonjour à tous, la fête", 16) == "Bonjour à tous…"
    assert french.excerpt("  court\n texte ", 60) == "court texte"
    assert french.excerpt("a" * 100, 20) == "a" * 19 + "…"  # one long word: cut inside it
    assert french.excerpt("Ligne un\nligne deux est longue\ntrois", 20, lines=True) == "Ligne un\nligne deux…"


@pytest.mark.parametrize("name, de, que", [
    ("Hélène Lefèvre-Ducôté", "d'Hélène Lefèvre-Ducôté", "qu'Hélène Lefèvre-Ducôté"),
    ("Agnès Marchand", "d'Agnès Marchand", "qu'Agnès Marchand"),
    ("Œdipe Roy", "d'Œdipe Roy", "qu'Œdipe Roy"),
    ("Julien Martin", "de Julien Martin", "que Julien Martin"),
    ("Le Goff", "de Le Goff", "que Le Goff"),
])
def test_a_person_s_name_elides_de_and_que(name, de, que):
    assert french.elided("de", name) == de and french.elided("que", name) == que


def test_sort_key_puts_names_in_french_order_whatever_the_locale():
    names = ["Zoé", "Élodie", "eliane", "Émile", "Emma", "Œuvray", "Oscar", "Odile", "Éric", "ÉLISE"]
    assert sorted(names, key=french.sort_key) == [
        "eliane", "ÉLISE", "Élodie", "Émile", "Emma", "Éric", "Odile", "Œuvray", "Oscar", "Zoé"]
    assert french.French().sort_key("Élodie") == french.sort_key("Élodie")


def test_sql_orders_names_as_python_does(dbsession, make_user, make_community):
    """``folded(column)`` in ORDER BY: the same French order on PostgreSQL (any collation) and SQLite
    as ``sort_key`` in Python; the community lists (and the directory plugin) use it."""
    from vvs_core.communities.members import referents_of
    from sqlalchemy import select

    from vvs_core.models import Membership

    people = [make_user(first_name=first, last_name=last) for first, last in
              [("Zoé", "Zola"), ("Élodie", "Écuyer"), ("Emma", "Eliot"), ("Odile", "Œuvray"), ("Oscar", "Ortiz"),
               ("Ana", "Ebert")]]
    community = make_community("Les Érables", members=people)
    for m in dbsession.scalars(select(Membership).where(Membership.community_id == community.id)):
        m.role = "referent"
    dbsession.flush()
    expected = sorted((p.last_name for p in people), key=french.sort_key)
    assert expected == ["Ebert", "Écuyer", "Eliot", "Œuvray", "Ortiz", "Zola"]
    assert [u.last_name for u in referents_of(dbsession, community.id)] == expected
