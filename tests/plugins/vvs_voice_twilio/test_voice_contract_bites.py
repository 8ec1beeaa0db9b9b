"""The voice contract suite bites: run on the Twilio caller it passes (test_twilio_provider);
run on copies of it with one flaw each, it fails where the flaw is."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent

FLAWED = '''
import pytest
from fake_twilio import fresh_fake_twilio  # noqa: F401

from vvs_core.interfaces import CallEvent, SendResult
from vvs_core.testing import VoiceCallerContract
from vvs_voice_twilio.journal import MemoryJournal
from vvs_voice_twilio.provider import TwilioVoiceCaller


class TypesTheApostrophe(TwilioVoiceCaller):
    def twiml(self, call):
        return super().twiml(type(call)(call.to, call.text.replace("’", "'"), call.key, call.prompt))


class RemembersNothing(MemoryJournal):
    def lookup(self, keys):
        return {}


class TrustsAnyCaller(TwilioVoiceCaller):
    def parse_call_event(self, request):
        request.headers["X-Twilio-Signature"] = self.validator.compute_signature(
            "http://localhost" + request.path_qs, request.POST)
        return super().parse_call_event(request)


class Makes503Permanent(TwilioVoiceCaller):
    def _place(self, call):
        result = super()._place(call)
        if "503" in result.error:
            result.transient = False
        return result


class TestFlawed(VoiceCallerContract):
    @pytest.fixture
    def fake(self, fresh_fake_twilio):
        return fresh_fake_twilio

    @pytest.fixture
    def make_sender(self, fresh_fake_twilio):
        journal = {journal}()
        return lambda: {flaw}.from_settings(fresh_fake_twilio.settings(), journal=journal)
'''


def failed_tests(pytester, monkeypatch, flaw: str, journal: str, only: str) -> set[str]:
    # In a process of its own: the plugin's models must not be declared twice in one.
    # fake_twilio here, the fake_fixtures it reads in tests/
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(HERE.parents[1])]))
    pytester.makepyfile(test_flawed=FLAWED.replace("{flaw}", flaw).replace("{journal}", journal))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-k", only)
    return {line.split("::")[-1].split(" ")[0] for line in result.outlines if line.startswith("FAILED")}


@pytest.mark.parametrize("flaw,journal,caught", [
    ("TypesTheApostrophe", "MemoryJournal", "test_a_french_call_text_arrives_unchanged_with_its_prompt"),
    ("TwilioVoiceCaller", "RemembersNothing", "test_the_same_key_twice_is_sent_once"),
    ("TrustsAnyCaller", "MemoryJournal", "test_forged_call_events_are_refused"),
    ("Makes503Permanent", "MemoryJournal", "test_transient_failures_are_transient_and_a_retry_sends_once[503]"),
])
def test_the_voice_contract_catches(pytester, monkeypatch, flaw, journal, caught):
    only = caught.replace("[", " and ").rstrip("]")  # that test alone: the suite is long
    assert caught in failed_tests(pytester, monkeypatch, flaw, journal, only)
