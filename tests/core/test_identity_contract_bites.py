"""The identity contract suite bites: the test partner of tests/fixtures/kyc_partner (an
HTTP partner, against the fake of its API) passes it; copies of it with one flaw each fail
where the flaw is — above all a verifier that answers "verified" without asking the partner."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract_bites import assert_fails, assert_passes, run_flawed

pytest_plugins = ["pytester"]

PARTNER = Path(__file__).parents[1] / "fixtures" / "kyc_partner"

FLAWED = '''
import uuid

import pytest

from fake_partner import FakePartner
from kyc_test_partner import TestPartner
from vvs_core.interfaces import IdentityResult
from vvs_core.testing import IdentityVerifierContract


class AlwaysVerified(TestPartner):
    """Never asks the partner: every resident is "verified"."""
    def start(self, request, user, return_url):
        return f"{return_url}?uid={user.id}"

    def callback(self, request):
        return IdentityResult(int(request.GET.get("uid", "0") or 0), "passed", "sans-partenaire")

    def result(self, user):
        return IdentityResult(user.id, "passed", "sans-partenaire")


class TrustsUnsignedReturns(TestPartner):
    def callback(self, request):
        return IdentityResult(1, "passed", request.GET.get("check", "x"))


class OpensACheckEachTime(TestPartner):
    def start(self, request, user, return_url):
        user = type(user)(id=user.id * 10**9 + uuid.uuid4().int % 10**6)  # a new reference each time
        return super().start(request, user, return_url)


class RaisesWhenThePartnerFails(TestPartner):
    def _call(self, method, path, body=None):
        import json, urllib.request

        call = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"Bearer {self.key}"},
                                      data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(call, timeout=self.timeout) as answer:
            return json.loads(answer.read())


class TestFlawed(IdentityVerifierContract):
    @pytest.fixture
    def fake(self):
        fake = FakePartner("clé", "secret")
        yield fake
        fake.close()

    @pytest.fixture
    def make_verifier(self, fake):
        return lambda: {flaw}(fake.url, "clé", "secret", timeout=1.0)
'''


def run_suite(pytester, flaw: str):
    return run_flawed(pytester, PARTNER, FLAWED, flaw, "-k", "not timeout")


def test_the_test_partner_passes(pytester):
    assert_passes(run_suite(pytester, "TestPartner"))


@pytest.mark.parametrize("flaw, must_fail", [
    ("AlwaysVerified", {"test_a_started_check_is_opened_at_the_partner_once_for_the_same_person",
                        "test_a_finished_check_is_read_back[declined]", "test_a_finished_check_is_read_back[expired]",
                        "test_a_failing_partner_is_unavailable_and_opens_nothing[503]",
                        "test_hostile_and_forged_returns_are_refused"}),
    ("TrustsUnsignedReturns", {"test_hostile_and_forged_returns_are_refused"}),
    ("OpensACheckEachTime", {"test_a_started_check_is_opened_at_the_partner_once_for_the_same_person"}),
    ("RaisesWhenThePartnerFails", {"test_a_failing_partner_is_unavailable_and_opens_nothing[503]",
                                   "test_a_failing_partner_is_unavailable_and_opens_nothing[refused]"}),
])
def test_a_flawed_verifier_fails_the_suite(pytester, flaw, must_fail):
    failed = assert_fails(run_suite(pytester, flaw), must_fail)
    assert "test_has_a_name_and_a_french_label" not in failed


def test_a_missing_fake_is_a_failure_not_a_skip(pytester):
    pytester.makepyfile(test_no_fake='''
from vvs_core.testing import IdentityVerifierContract


class TestNoFake(IdentityVerifierContract):
    pass
''')
    pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", "french_label").assert_outcomes(errors=1)
