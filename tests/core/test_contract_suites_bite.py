"""The SMS contract suite bites: run on the tutorial provider (tests/fixtures/vvs_sms_rapide)
it passes; run on copies of it with one flaw each, it fails where the flaw is."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract_bites import assert_fails, assert_passes, run_flawed

pytest_plugins = ["pytester"]

TUTORIAL = Path(__file__).parents[1] / "fixtures" / "vvs_sms_rapide"

FLAWED = '''
import uuid

import pytest

import test_vvs_sms_rapide as tutorial
from vvs_core.interfaces import SendResult
from vvs_sms_rapide import RapideSMSSender


class SendsNothing(RapideSMSSender):
    def send_one(self, message):
        return SendResult(message.key, ok=True, provider_ref="faux-" + message.key)


class Makes503Permanent(RapideSMSSender):
    def send_one(self, message):
        result = super().send_one(message)
        if "503" in result.error:
            result.transient = False
        return result


class SendsTheSameKeyTwice(RapideSMSSender):
    def idempotency_key(self, key):
        return uuid.uuid4().hex  # a new key at each call: the API cannot tell a retry


class TestFlawed(tutorial.TestRapideSMS):
    @pytest.fixture
    def make_sender(self, fake):
        return lambda: {flaw}(fake.url, tutorial.API_KEY, timeout=1.0)
'''


def run_suite(pytester, flaw: str):
    return run_flawed(pytester, TUTORIAL, FLAWED, flaw)


def test_the_tutorial_provider_passes(pytester):
    assert_passes(run_suite(pytester, "RapideSMSSender"))


@pytest.mark.parametrize("flaw, must_fail", [
    ("SendsNothing", {"test_the_text_arrives_unchanged[french]", "test_the_text_arrives_unchanged[emoji]",
                      "test_the_same_key_twice_is_sent_once", "test_one_result_per_message_in_order_and_refs_unique"}),
    ("Makes503Permanent", {"test_transient_failures_are_transient_and_a_retry_sends_once[503]",
                           "test_a_failure_in_the_middle_of_a_batch_then_a_retry_sends_each_once"}),
    ("SendsTheSameKeyTwice", {"test_the_same_key_twice_is_sent_once", "test_keys_with_reserved_characters"}),
])
def test_a_flawed_provider_fails_the_suite(pytester, flaw, must_fail):
    failed = assert_fails(run_suite(pytester, flaw), must_fail)
    # the flaw fails what it breaks, not everything
    assert "test_has_a_name" not in failed and "test_empty_batch_returns_empty_list" not in failed
