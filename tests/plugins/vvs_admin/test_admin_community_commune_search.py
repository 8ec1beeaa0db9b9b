"""« Nouvelle communauté » with every commune of France (35,000): the administrator types a
name, a postcode or an INSEE code, accents, hyphens and apostrophes optional, and picks the
commune among the matches (links: keyboard and no JavaScript); homonyms are told apart by
their department and postcodes. The page stays small and runs few statements whatever the
number of communes; bad input is a French message and creates nothing."""
import time

import pytest
from shapely.geometry import Point
from sqlalchemy import event, func, insert, select

from vvs_core.models import Commune, Community
from vvs_core.testing import SERRIS

from test_admin_communities import NAME, admin, fields  # noqa: F401  (admin: the fixture)

FRANCE = 35_000
PAGE_BYTES = 40_000  # the page with its header, menu and matches; the dropdown of 35,000 was megabytes
STATEMENTS = 6
REAL = [  # (INSEE, name, postcodes): homonyms, accents, apostrophes, Corsica, overseas
    ("42218", "Saint-Étienne", ["42000", "42100"]), ("06120", "Saint-Étienne-de-Tinée", ["06660"]),
    ("93066", "Saint-Denis", ["93200", "93210"]), ("97411", "Saint-Denis", ["97400", "97490"]),
    ("11339", "Saint-Denis", ["11310"]), ("93039", "L'Île-Saint-Denis", ["93450"]),
    ("2A004", "Ajaccio", ["20000", "20090"]), ("59350", "Lille", ["59000", "59800"]),
    ("80001", "Abbeville", ["80100"]), ("01001", "L'Abergement-Clémenciat", ["01400"]),
]


@pytest.fixture
def france(dbsession, commune):
    """Serris (the ``commune`` fixture), the communes above and enough others to make 35,000."""
    syllables = ["Beau", "mont", "Ville", "neuve", "Cha", "teau", "Roche", "fort", "Mou", "lin"]
    taken = {insee for insee, _name, _codes in REAL} | {commune.insee}
    codes = (code for code in (f"{k:05d}" for k in range(1, 99_999)) if code not in taken)
    rows = [dict(insee=next(codes),
                 name=f"{syllables[n % 10]}{syllables[(n // 10) % 10].lower()}-sur-{syllables[(n // 100) % 10]}{n}",
                 postcodes=[f"{60000 + n // 10:05d}"], centre=Point(2 + (n % 200) * 0.01, 47 + (n // 200) * 0.01))
            for n in range(FRANCE - len(REAL) - 1)]
    rows += [dict(insee=insee, name=name, postcodes=codes, centre=Point(*SERRIS)) for insee, name, codes in REAL]
    dbsession.execute(insert(Commune), rows)
    dbsession.flush()
    assert dbsession.scalar(select(func.count(Commune.id))) == FRANCE
    return {c.insee: c for c in dbsession.scalars(select(Commune).where(Commune.insee.in_([r[0] for r in REAL] + ["77449"])))}


def visit(testapp, dbsession, url, **kw):
    """The page, the statements it ran and its time."""
    statements = []

    def count(conn, cursor, statement, *rest):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)
    engine = dbsession.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        page = testapp.get(url, **kw)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return page, len(statements), time.perf_counter() - started


def choices(page) -> dict[str, str]:
    """The matches offered: link text → the commune id it leads to."""
    found = page.html.select("#commune-matches a")
    return {" ".join(a.get_text().split()): a["href"].rsplit("commune=", 1)[1] for a in found}


def test_the_page_has_a_search_not_a_list_of_every_commune(testapp, admin, france, dbsession):
    testapp.login(admin)
    testapp.get("/admin/communautes/nouvelle")  # the menu's badges, read once
    page, statements, _took = visit(testapp, dbsession, "/admin/communautes/nouvelle")
    assert len(page.body) < PAGE_BYTES, len(page.body)
    assert statements <= STATEMENTS
    field = page.html.find("input", attrs={"name": "q"})
    label = page.html.find("label", attrs={"for": field["id"]})
    assert "Commune" in label.get_text() and "code postal" in page.text and "INSEE" in page.text
    assert page.html.find("select", attrs={"name": "commune"}) is None
    assert "Beaumont" not in page.text  # no commune listed before anything is typed


TYPED = [  # (what is typed, the INSEE code of the commune it must offer)
    ("saint etienne", "42218"), ("Saint-Étienne", "42218"), ("SAINT ÉTIENNE", "42218"), ("st etienne", "42218"),
    ("  saint   etienne ", "42218"), ("saint-etienne-de-tinee", "06120"), ("Ile-Saint-Denis", "93039"),
    ("l’ile saint denis", "93039"), ("ILE ST DENIS", "93039"), ("42000", "42218"), ("42218", "42218"),
    ("2a004", "2A004"), ("2A 004", "2A004"), ("20090", "2A004"), ("97400", "97411"), ("abergement clemenciat", "01001"),
    ("l'abergement", "01001"), ("serris", "77449"), ("77700", "77449"), ("lille", "59350"),
]


def test_a_commune_is_found_as_people_type_it(testapp, admin, france, dbsession):
    testapp.login(admin)
    testapp.get("/admin/communautes/nouvelle")
    slowest = 0.0
    for typed, wanted in TYPED:
        page, statements, took = visit(testapp, dbsession, "/admin/communautes/nouvelle", params={"q": typed})
        assert str(france[wanted].id) in choices(page).values(), (typed, choices(page))
        assert len(page.body) < PAGE_BYTES and statements <= STATEMENTS, (typed, len(page.body), statements)
        assert page.html.find("input", attrs={"name": "q"})["value"] == " ".join(typed.split())
        slowest = max(slowest, took)
    print(f"slowest search among {FRANCE} communes: {slowest * 1000:.0f} ms")


def test_the_closest_names_come_first_and_homonyms_are_told_apart(testapp, admin, france, dbsession):
    testapp.login(admin)
    found = choices(testapp.get("/admin/communautes/nouvelle", params={"q": "saint denis"}))
    labels = list(found)
    saint_denis = [label for label in labels if label.startswith("Saint-Denis ")]
    assert len(saint_denis) == 3 and len(set(saint_denis)) == 3, labels
    assert labels.index(saint_denis[-1]) < next(i for i, label in enumerate(labels) if "L'Île" in label)
    assert any("(93)" in label and "93200" in label for label in saint_denis), saint_denis
    assert any("(974)" in label and "97400" in label for label in saint_denis), saint_denis
    assert any("(11)" in label and "11310" in label for label in saint_denis), saint_denis
    ajaccio = choices(testapp.get("/admin/communautes/nouvelle", params={"q": "ajaccio"}))
    assert [label for label in ajaccio if "(2A)" in label and "20000" in label], ajaccio


def test_too_many_matches_are_cut_with_a_word(testapp, admin, france, dbsession):
    testapp.login(admin)
    page, statements, _took = visit(testapp, dbsession, "/admin/communautes/nouvelle", params={"q": "beau"})
    assert 0 < len(choices(page)) <= 20
    assert "précisez (nom complet, code postal ou code INSEE)" in page.text
    assert len(page.body) < PAGE_BYTES and statements <= STATEMENTS


HOSTILE = [  # (what is typed, what the page says)
    ("", "Tapez le nom de la commune"), ("   ", "Tapez le nom de la commune"),
    ("Trifouilly-les-Oies", "Aucune commune ne correspond à « Trifouilly-les-Oies »"),
    ("99999", "Aucune commune ne correspond à « 99999 »"),
    ("'; DROP TABLE communes; --", "Aucune commune ne correspond"), ("%", "Aucune commune ne correspond"),
    ("_", "Aucune commune ne correspond"), ("<script>alert(1)</script>", "Aucune commune ne correspond"),
    ("🏡🏡", "Aucune commune ne correspond"), ("\x1b[31m\x07", "Aucune commune ne correspond"),
    ("é" * 5000, "Aucune commune ne correspond"), ("\\", "Aucune commune ne correspond"),
]


def test_nothing_found_is_said_in_french(testapp, admin, france, dbsession):
    testapp.login(admin)
    for typed, message in HOSTILE:
        page = testapp.get("/admin/communautes/nouvelle", params={"q": typed})
        assert page.status_int == 200
        assert message in page.text, (typed, page.text[-3000:])
        assert "<script>alert" not in page.text and choices(page) == {}, typed
    refused = testapp.get("/admin/communautes/nouvelle", params={"q": "Saint\x00Denis"}, status=400)
    assert "sans caractère nul" in refused.text  # the application's answer to any NUL


def test_the_chosen_commune_gets_the_form_and_the_community(testapp, admin, france, dbsession):
    testapp.login(admin)
    found = choices(testapp.get("/admin/communautes/nouvelle", params={"q": "serris"}))
    label, commune_id = next(iter(found.items()))
    assert label.startswith("Serris (77)") and commune_id == str(france["77449"].id)
    page, statements, _took = visit(testapp, dbsession, f"/admin/communautes/nouvelle?commune={commune_id}")
    form = page.forms["boundary-form"]
    assert form["commune"].value == commune_id and "Serris (77)" in page.text
    assert page.html.find("a", string=lambda s: s and "Changer de commune" in s) is not None
    assert len(page.body) < 60_000 and statements <= 10
    testapp.post_csrf("/admin/communautes/nouvelle", fields(france["77449"]), status=303)
    assert dbsession.scalar(select(Community.commune_id).where(Community.name == NAME)) == france["77449"].id


def test_an_unknown_commune_creates_nothing(testapp, admin, france, dbsession):
    testapp.login(admin)
    for value in ["", "999999", "²", "1 OR 1=1", "-1", "1e9", "💥", "\x07"]:
        res = testapp.post_csrf("/admin/communautes/nouvelle", fields(france["77449"], commune=value), status=400)
        assert "Choisissez la commune dans la recherche" in res.text, (value, res.text[-3000:])
        assert dbsession.scalar(select(func.count(Community.id))) == 0
        page = testapp.get("/admin/communautes/nouvelle", params={"commune": value})
        assert page.html.find("input", attrs={"name": "q"}) is not None
        assert "Cette commune n'existe pas" in page.text, value
