"""The BAN provider against a local fake of the API, and the sign-up with it."""
import logging
import re

import pytest

from fake_ban import BANContractFake, FakeBAN
from vvs_core.testing import GeocoderContract
from vvs_geocoder_ban.geocoder import BANGeocoder


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
    with pytest.raises(ValueError, match="must start with http"):
        BANGeocoder.from_settings({"vvs.geocoder.ban.url": "data.geopf.fr"})


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
    ("error", "répond mal (code 500) : les adresses se placent à la main sur la carte."),
    ("garbage", "ne répond pas en GeoJSON : vérifiez vvs.geocoder.ban.url."),
    ("slow", "ne répond pas (ReadTimeout) : les adresses se placent à la main sur la carte."),
])
def test_health_is_one_search_of_nobody_s_address(ban, mode, problem):
    ban.mode = mode
    answer = BANGeocoder(ban.api_url, timeout=0.5).health()
    assert answer == (problem and f"La Base adresse nationale ({ban.api_url}) {problem}")
    assert ban.requests == [("/geocodage/search", {"q": "mairie", "limit": "1"})]


def test_health_of_an_unreachable_server():
    url = closed_url()  # the check waits at most its timeout
    answer = BANGeocoder(url, timeout=0.5).health()
    assert re.fullmatch(rf"La Base adresse nationale \({re.escape(url)}\) ne répond pas \((ReadTimeout|ConnectionError)\) : "
                        "les adresses se placent à la main sur la carte.", answer), answer
