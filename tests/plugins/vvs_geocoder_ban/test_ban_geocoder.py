"""The BAN provider against a local fake of the API, and the sign-up with it."""
import logging
import re
import sys
from pathlib import Path

import pytest

from fake_ban import BANContractFake, FakeBAN
from vvs_core.providers import Outage
from vvs_core.testing import GeocoderContract
from vvs_geocoder_ban.geocoder import BANGeocoder

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from test_cli import assert_one_line_error, run_vvs, write_ini  # noqa: E402


@pytest.fixture
def ban():
    fake = FakeBAN()
    yield fake
    fake.close()


def test_search_parses_features_in_lon_lat_order(ban):
    geocoder = BANGeocoder(ban.api_url, timeout=2)
    results = geocoder.search("12 rue de Lagny", limit=3, citycode="77449", near=(2.7861, 48.8453))
    assert [(r.label, r.lon, r.lat, r.citycode, r.postcode, r.city) for r in results][0] == (
        "12 Rue de Lagny 77700 Serris", 2.78702, 48.84571, "77449", "77700", "Serris")
    path, params = ban.requests[-1]
    assert path == "/geocodage/search"
    assert params == {"q": "12 rue de Lagny", "limit": "3", "citycode": "77449", "lon": "2.786100", "lat": "48.845300"}


def test_low_scores_are_rejected(ban):
    assert BANGeocoder(ban.api_url).search("Lointaine", citycode="77449") == []


def test_reverse(ban):
    result = BANGeocoder(ban.api_url).reverse(2.7811, 48.8524)
    assert result.label == "3 Cours du Danube 77700 Serris"
    assert ban.requests[-1] == ("/geocodage/reverse", {"lon": "2.781100", "lat": "48.852400", "limit": "1"})


def test_short_queries_are_not_sent(ban):
    assert BANGeocoder(ban.api_url).search("ab") == []
    assert ban.requests == []


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
def test_failures_give_no_result_and_log_no_address(ban, caplog, mode):
    ban.mode = mode
    with caplog.at_level(logging.WARNING):
        assert BANGeocoder(ban.api_url, timeout=0.5).search("12 rue de Lagny") == []
        assert BANGeocoder(ban.api_url, timeout=0.5).reverse(2.78, 48.84) is None
    assert caplog.records and "Lagny" not in caplog.text


def closed_url() -> str:
    """The URL of a fake that has stopped: connections to it are refused."""
    fake = FakeBAN()
    fake.close()
    return fake.api_url


def test_unreachable_server_gives_no_result(caplog):
    url = closed_url()
    with caplog.at_level(logging.WARNING):
        assert BANGeocoder(url, timeout=0.5).search("12 rue de Lagny") == []
    assert "unreachable" in caplog.text


def test_bad_url_setting_stops_startup():
    for url in ("data.geopf.fr", "https://", "https:///geocodage", "http://[::1", "https://data.geopf.fr/géo codage",
                "https://data.geopf.fr/geocodage\n"):
        with pytest.raises(ValueError, match="must start with http:// or https:// and name a host, without spaces"):
            BANGeocoder.from_settings({"vvs.geocoder.ban.url": url})
    assert BANGeocoder.from_settings({"vvs.geocoder.ban.url": "https://adresses.mairie-séris.fr/"}).base_url == \
        "https://adresses.mairie-séris.fr"


@pytest.fixture
def ban_app(db_url, session_factory, ban):
    """The real app with ``vvs.geocoder.provider = ban`` pointing at the fake."""
    from vvs_core.testing import VVSTestApp, build_app

    wsgi = build_app(db_url, **{"vvs.geocoder.provider": "ban", "vvs.geocoder.ban.url": ban.api_url,
                                "vvs.geocoder.ban.timeout": "2"})
    wsgi.registry["dbsession_factory"] = session_factory
    return VVSTestApp(wsgi)


def start(testapp, address):
    form = testapp.get("/inscription").forms["signup-address"]
    form["address"] = address
    form["email"] = "ban@example.test"
    return form.submit("submit", status=303).follow()


def test_signup_places_the_marker_where_ban_finds_the_address(ban_app, commune, ban):
    page = start(ban_app, "12 rue de Lagny")
    assert 'data-lon="2.78702"' in page.text and 'data-lat="48.84571"' in page.text
    assert "<strong>12 Rue de Lagny 77700 Serris</strong> — vérifiez la position du marqueur" in page.text
    assert ban.requests[-1][1]["citycode"] == "77449"


def test_signup_falls_back_to_the_commune_when_ban_fails(ban_app, commune, ban):
    ban.mode = "error"
    page = start(ban_app, "12 rue de Lagny")
    assert "Nous n'avons pas trouvé « 12 rue de Lagny »" in page.text
    assert re.search(r'data-lon="2\.7861"', page.text)


class TestBANContract(GeocoderContract):
    geocoder_class = BANGeocoder  # tests/core/test_geocoder_contract_bites.py puts flawed copies here

    @pytest.fixture
    def fake(self):
        fake = BANContractFake()
        yield fake
        fake.close()

    @pytest.fixture
    def make_geocoder(self, fake):
        return lambda: self.geocoder_class(fake.api_url, timeout=1.0)


@pytest.mark.parametrize("mode, problem", [
    ("ok", None),
    ("error", "répond mal (code 500) : " + BANGeocoder.WITHOUT_IT),
    ("garbage", "ne répond pas en GeoJSON : vérifiez vvs.geocoder.ban.url."),
    ("slow", "est injoignable (ReadTimeout) : " + BANGeocoder.WITHOUT_IT),
])
def test_health_is_one_search_of_nobody_s_address(ban, mode, problem):
    ban.mode = mode
    answer = BANGeocoder(ban.api_url, timeout=0.5).health()
    assert answer == (problem and f"Le service d'adresses (Base adresse nationale, {ban.api_url}) {problem}")
    assert isinstance(answer, Outage) == (mode in ("error", "slow"))  # `vvs check` warns of these only
    assert ban.requests == [("/geocodage/search", {"q": "mairie", "limit": "1"})]


def test_health_of_an_unreachable_server():
    url = closed_url()  # the check waits at most its timeout
    answer = BANGeocoder(url, timeout=0.5).health()
    assert re.fullmatch(rf"Le service d'adresses \(Base adresse nationale, {re.escape(url)}\) est injoignable "
                        rf"\((ReadTimeout|ConnectionError)\) : {re.escape(BANGeocoder.WITHOUT_IT)}", answer), answer
    assert isinstance(answer, Outage)


# --- `vvs check` with the BAN: an outage is a warning, a wrong configuration stops it -----------

def _check(tmp_path, **settings):
    (tmp_path / "var").mkdir(exist_ok=True)
    ini = write_ini(tmp_path, name="mairie-de-séris.ini", **{
        "vvs__plugins": "vvs_dev_providers vvs_geocoder_ban", "vvs__geocoder__provider": "ban",
        "vvs__geocoder__ban__timeout": "0.5", **settings})
    return run_vvs("check", str(ini), cwd=tmp_path)


def _one_line(stream: str) -> str:
    lines = stream.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stream, stream
    return lines[0]


@pytest.mark.parametrize("down", ["closed", "error"])
def test_check_warns_in_one_french_line_when_the_address_service_is_down(tmp_path, ban, down):
    """A closed port (nothing listens) or a BAN answering 500: the server lives without it
    (the residents place their marker by hand), so the check says so and is ready to serve."""
    url = closed_url() if down == "closed" else ban.api_url
    ban.mode = "error"
    checked = _check(tmp_path, vvs__geocoder__ban__url=url)
    assert checked.returncode == 0, (checked.stdout, checked.stderr)
    line = _one_line(checked.stderr)
    assert line.startswith("vvs check: avertissement : Le service d'adresses (Base adresse nationale, ")
    assert url in line and ("est injoignable" in line if down == "closed" else "répond mal (code 500)" in line)
    assert line.endswith(": les adresses tapées ne sont plus trouvées, les résidents placent la leur à la main "
                         "sur la carte ; le serveur fonctionne sans lui.")
    assert "geocoder provider: ban (started, service down)" in checked.stdout
    assert checked.stdout.rstrip().endswith("ready to serve")


@pytest.mark.parametrize("url, fragments", [
    ("data.geopf.fr/geocodage", ("vvs.geocoder.ban.url", "http://")),
    ("https://", ("vvs.geocoder.ban.url", "http://")),
    ("https://data.geopf.fr/géo codage", ("vvs.geocoder.ban.url",)),
    ("{api}/inconnu", ("répond mal (code 404)", "vérifiez vvs.geocoder.ban.url")),
    ("{garbage}", ("ne répond pas en GeoJSON", "vérifiez vvs.geocoder.ban.url")),
])
def test_check_stops_in_one_line_when_the_address_settings_are_wrong(tmp_path, ban, url, fragments):
    """A URL that cannot be one, or a server that answers but is not the BAN: exit 2."""
    if url == "{garbage}":
        ban.mode, url = "garbage", ban.api_url
    checked = _check(tmp_path, vvs__geocoder__ban__url=url.format(api=ban.api_url))
    assert_one_line_error(checked, "geocoder provider 'ban'", *fragments)


def test_check_stops_in_one_line_on_an_unknown_address_provider(tmp_path):
    checked = _check(tmp_path, vvs__geocoder__provider="bann")
    assert_one_line_error(checked, "vvs.geocoder.provider = 'bann'", "available: ban, manual")
