"""vvs_core.web.textsearch in SQL (issue 16.3: a directory of 5,000 members searched by the
database): ``folded(column)`` gives what ``fold`` gives in Python, on both backends, and
``sql_matches`` finds what ``matches`` finds."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.models import User
from vvs_core.web.textsearch import fold, folded, sql_matches


def matches(query: str, *texts: str | None) -> bool:
    """What ``sql_matches`` must find, in Python: ``query`` (folded) inside one of ``texts``
    (folded); an empty query matches all."""
    wanted = fold(query)
    return not wanted or any(wanted in fold(t) for t in texts if t)

NAMES = ["Hélène", "ÉLODIE", "Œdipe Cœur", "l’Église", "Anne‑Sophie  Müller", "Ægir Straße", "Çağla Øvrebø",
         "Jean-Noël d'Aubigné", "Łukasz Żółć", "  espaces\ten  trop ", "😀 Zoé", "100 % _réel_", "ŉ Ŀŀ `Martin´"]


def test_the_database_folds_as_python_does(dbsession, make_user):
    people = [make_user(first_name=name, last_name="") for name in NAMES]
    got = dict(dbsession.execute(sa.select(User.id, folded(User.first_name))
                                 .where(User.id.in_([p.id for p in people]))).all())
    assert [got[p.id] for p in people] == [fold(name) for name in NAMES]


def test_sql_search_finds_what_python_finds(dbsession, make_user):
    people = [make_user(first_name=name, last_name="Dupré", address_label=f"{i} rue de l'Église")
              for i, name in enumerate(NAMES)]
    ids = [p.id for p in people]
    for query in ("helene", "HÉLÈNE", "coeur", "l'eglise", "sophie mul", "aegir", "strasse", "noel d'aub",
                  "lukasz", "espaces en", "zoe", "%", "_reel_", "dupre", "12 rue", "x"):
        found = set(dbsession.scalars(sa.select(User.id).where(User.id.in_(ids), sql_matches(
            query, User.first_name, User.last_name, User.address_label, User.first_name + " " + User.last_name))))
        expected = {p.id for p in people if matches(query, p.first_name, p.last_name, p.address_label,
                                                   f"{p.first_name} {p.last_name}")}
        assert found == expected, query
    assert sql_matches("  ", User.first_name) is None  # nothing typed: no condition


def test_every_letter_the_database_folds_folds_as_in_python(dbsession):
    """Each letter of the SQL table, alone and inside a name (translate, the replacements and
    the way round them for a text without any of those letters: all give ``fold``)."""
    from vvs_core.web.textsearch import _SQL_ALPHABET

    texts = [*_SQL_ALPHABET, *(f"Ab{char}cD x" for char in _SQL_ALPHABET), "Plain ASCII  name", "ŉ’Œ"]
    got = dbsession.execute(sa.select(*(folded(sa.literal(text, sa.String)) for text in texts))).one()
    assert list(got) == [fold(text) for text in texts]


def test_a_place_is_compared_as_people_type_its_name():
    from vvs_core.web.textsearch import place_key

    assert place_key("L’Île-Saint-Denis") == place_key("ile saint denis ").join(["l ", ""]) == "l ile saint denis"
    assert place_key("ST-ÉTIENNE") == place_key("saint etienne") == "saint etienne"
    assert place_key("Ste-Œdile  ") == "sainte oedile" and place_key("Stella-Plage") == "stella plage"
    assert place_key(None) == place_key(" - ' ") == ""
