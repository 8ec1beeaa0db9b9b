"""The sign-up's first step on a site of many communes (France has 35,000): the resident
finds the commune by a search (name, postcode or INSEE code, accents optional), the matches
are links (keyboard and no JavaScript), homonyms told apart by their department and
postcodes; then the address form names the commune. The page stays small whatever the number
of communes; a site of one commune shows no search; bad input is a French message and
starts nothing."""
import pytest
from shapely.geometry import Point
from sqlalchemy import func, insert, select

from vvs_core.models import Commune
from vvs_core.testing import SERRIS

from test_signup_flow import NEW_EMAIL, fresh_rate_limits  # noqa: F401  (the autouse fixture)

MANY = 5_000
PAGE_BYTES = 60_000  # a <select> of 5,000 communes was 250 kB; of 35,000, megabytes
REAL = [("93066", "Saint-Denis", ["93200", "93210"], (2.3581, 48.9362)),
        ("97411", "Saint-Denis", ["97400", "97490"], (55.4481, -20.8789)),
        ("93039", "L'Île-Saint-Denis", ["93450"], (2.3377, 48.9394)),
        ("42218", "Saint-Étienne", ["42000", "42100"], (4.3872, 45.4397))]


@pytest.fixture
def many(dbsession, commune):
    """Serris (the ``commune`` fixture), real homonyms and enough others to make thousands."""
    rows = [dict(insee=f"{60000 + n:05d}", name=f"Beaumont-sur-Roche{n}", postcodes=[f"{60000 + n // 10:05d}"],
                 centre=Point(2 + (n % 200) * 0.01, 47 + (n // 200) * 0.01)) for n in range(MANY - len(REAL) - 1)]
    rows += [dict(insee=insee, name=name, postcodes=codes, centre=Point(*centre)) for insee, name, codes, centre in REAL]
    dbsession.execute(insert(Commune), rows)
    dbsession.flush()
    assert dbsession.scalar(select(func.count(Commune.id))) == MANY
    return {c.insee: c for c in dbsession.scalars(select(Commune).where(Commune.insee.in_([r[0] for r in REAL])))}


def matches(page) -> dict[str, str]:
    """The communes offered: link text → its address."""
    return {" ".join(a.get_text().split()): a["href"] for a in page.html.select("#commune-matches a")}


def test_the_first_step_is_a_search_not_a_list_of_every_commune(testapp, many):
    page = testapp.get("/inscription")
    assert len(page.body) < PAGE_BYTES, len(page.body)
    assert page.html.find("select", attrs={"name": "commune"}) is None and "Beaumont" not in page.text
    field = page.html.find("input", attrs={"name": "q"})
    assert "Votre commune" in page.html.find("label", attrs={"for": field["id"]}).get_text()
    assert "signup-address" not in page.forms  # the address comes once the commune is chosen


def test_homonyms_are_told_apart_and_the_chosen_commune_goes_on(testapp, many):
    page = testapp.get("/inscription", params={"q": "saint denis"})
    assert len(page.body) < PAGE_BYTES
    found = matches(page)
    labels = [label for label in found if label.startswith("Saint-Denis ")]
    assert len(labels) == 2 and any("(93)" in x and "93200" in x for x in labels), found
    reunion = next(label for label in labels if "(974)" in label and "97400" in label)
    form_page = testapp.get(found[reunion])
    assert "Saint-Denis (974) — 97400, 97490" in form_page.html.select_one(".chosen-commune").get_text()
    assert "Changer de commune" in form_page.text
    form = form_page.forms["signup-address"]
    form["address"] = "12 rue de « l’Église » 😀"
    form["email"] = NEW_EMAIL
    res = form.submit("submit", status=303).follow()
    assert 'data-lon="55.4481"' in res.text
    for typed in ("st etienne", "SAINT-ÉTIENNE", "42000", "42218"):
        assert any(x.startswith("Saint-Étienne (42)") for x in matches(testapp.get("/inscription", params={"q": typed}))), typed


@pytest.mark.parametrize("typed, message", [
    ("", "Tapez le nom de la commune"), ("Trifouilly-les-Oies", "Aucune commune ne correspond à « Trifouilly-les-Oies »"),
    ("'; DROP TABLE communes; --", "Aucune commune ne correspond"), ("<script>alert(1)</script>", "Aucune commune"),
    ("🏡", "Aucune commune ne correspond"), ("é" * 5000, "Aucune commune ne correspond"), ("%", "Aucune commune"),
    ("beaumont", "précisez"),
])
def test_a_search_that_finds_nothing_says_so_in_french(testapp, many, typed, message):
    page = testapp.get("/inscription", params={"q": typed})
    assert message in page.text and "<script>alert" not in page.text
    assert len(page.body) < PAGE_BYTES


@pytest.mark.parametrize("sent", ["999999", "²", "1 OR 1=1", "", "-1", "1e3", "😀"])
def test_an_unknown_commune_starts_nothing(testapp, many, sent):
    chosen = testapp.get("/inscription", params={"commune": many["42218"].id}).forms["signup-address"]
    chosen["address"], chosen["email"] = "12 rue de Lagny", NEW_EMAIL
    chosen["commune"].force_value(sent)
    res = chosen.submit("submit", status=400)
    assert "Choisissez votre commune dans la recherche" in res.text and "Rien n'a été enregistré" in res.text
    assert testapp.get("/inscription/position", status=303).headers["Location"].endswith("/inscription")
    if sent:
        assert "n'existe pas" in testapp.get("/inscription", params={"commune": sent}).text


def test_a_site_of_one_commune_shows_no_search(testapp, commune):
    page = testapp.get("/inscription")
    assert page.html.find("input", attrs={"name": "q"}) is None and "signup-address" in page.forms


def test_a_site_of_few_communes_lists_them_at_once(testapp, commune, dbsession):
    dbsession.add(Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.7630, 48.8700)))
    dbsession.flush()
    found = matches(testapp.get("/inscription"))
    assert list(found) == ["Chessy (77) — 77700 · INSEE 77111", "Serris (77) — 77700 · INSEE 77449"]
