"""The geocoder contract suite bites: the BAN provider passes it; copies of it with one
flaw each fail where the flaw is."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract_bites import assert_fails, assert_passes, run_flawed

pytest_plugins = ["pytester"]

BAN_TESTS = Path(__file__).parents[1] / "plugins" / "vvs_geocoder_ban"

FLAWED = '''
import dataclasses
import logging
import unicodedata

import test_ban_geocoder as ban_tests
from vvs_geocoder_ban.geocoder import BANGeocoder


class SwapsLonLat(BANGeocoder):
    def _features(self, endpoint, params):
        return [dataclasses.replace(r, lon=r.lat, lat=r.lon) for r in super()._features(endpoint, params)]


class RaisesWhenTheServiceFails(BANGeocoder):
    def _features(self, endpoint, params):
        response = self.session.get(f"{self.base_url}/{endpoint}", params=params, timeout=self.timeout)
        response.raise_for_status()
        return super()._features(endpoint, params)


class LogsTheAddress(BANGeocoder):
    def search(self, query, **kw):
        logging.getLogger("vvs_geocoder_ban").warning("recherche de %s", query)
        return super().search(query, **kw)


class DropsTheAccents(BANGeocoder):
    def search(self, query, **kw):
        ascii_query = unicodedata.normalize("NFKD", query).encode("ascii", "ignore").decode()
        return super().search(ascii_query, **kw)


class TestFlawed(ban_tests.TestBANContract):
    geocoder_class = {flaw}
'''


def run_suite(pytester, flaw: str):
    return run_flawed(pytester, BAN_TESTS, FLAWED, flaw, "-k", "not timeout")


def test_the_ban_provider_passes(pytester):
    assert_passes(run_suite(pytester, "BANGeocoder"))


@pytest.mark.parametrize("flaw, must_fail", [
    ("SwapsLonLat", "test_the_query_arrives_unchanged_and_the_address_is_found_lon_lat"),
    ("RaisesWhenTheServiceFails", "test_a_failing_service_is_an_empty_answer_without_the_address_in_the_logs[503]"),
    ("LogsTheAddress", "test_a_failing_service_is_an_empty_answer_without_the_address_in_the_logs[500]"),
    ("DropsTheAccents", "test_the_query_arrives_unchanged_and_the_address_is_found_lon_lat"),
])
def test_a_flawed_geocoder_fails_the_suite(pytester, flaw, must_fail):
    assert_fails(run_suite(pytester, flaw), must_fail)


def test_a_missing_fake_is_a_failure_not_a_skip(pytester):
    pytester.makepyfile(test_no_fake='''
from vvs_core.testing import GeocoderContract


class TestNoFake(GeocoderContract):
    pass
''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", "has_a_name")
    result.assert_outcomes(errors=1)
