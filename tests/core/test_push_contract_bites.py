"""The push contract suite bites: the webpush provider passes it; copies of it with one
flaw each fail where the flaw is."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract_bites import assert_fails, assert_passes, run_flawed

pytest_plugins = ["pytester"]

PUSH_TESTS = Path(__file__).parents[1] / "plugins" / "vvs_push"

FLAWED = '''
import test_webpush_contract as webpush_tests
from vvs_core.interfaces import SendResult
from vvs_push.webpush import WebPushSender


class SendsNothing(WebPushSender):
    def _send_one(self, message, gone, delivered):
        return SendResult(message.key, ok=True, provider_ref="faux")


class Makes503Permanent(WebPushSender):
    def _send_one(self, message, gone, delivered):
        result = super()._send_one(message, gone, delivered)
        if "503" in result.error:
            result.transient = False
        return result


class TestFlawed(webpush_tests.TestWebPush):
    sender_class = {flaw}
'''


def run_suite(pytester, flaw: str):
    return run_flawed(pytester, PUSH_TESTS, FLAWED, flaw, "-k", "not timeout", subprocess=True)


def test_the_webpush_provider_passes(pytester):
    assert_passes(run_suite(pytester, "WebPushSender"))


@pytest.mark.parametrize("flaw, must_fail", [
    ("SendsNothing", "test_the_text_arrives_unchanged[french]"),
    ("Makes503Permanent", "test_transient_failures_are_transient_and_a_retry_sends_once[503]"),
])
def test_a_flawed_push_sender_fails_the_suite(pytester, flaw, must_fail):
    assert_fails(run_suite(pytester, flaw), must_fail)
