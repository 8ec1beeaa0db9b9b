"""The Twilio voice caller, driven through the real ``twilio`` client against the fake API."""
from __future__ import annotations

import pytest
from fake_twilio import fake_twilio, fresh_fake_twilio, read_twiml  # noqa: F401  (fixtures)

from vvs_core.errors import ConfigurationError
from vvs_core.interfaces import OutgoingCall
from vvs_core.testing import VoiceCallerContract
from vvs_voice_twilio.journal import MemoryJournal
from vvs_voice_twilio.provider import TWIML_MAX, TwilioVoiceCaller

PROMPT = "Pour confirmer, appuyez sur la touche 1."


class TestTwilioVoice(VoiceCallerContract):
    @pytest.fixture
    def fake(self, fresh_fake_twilio):  # noqa: F811  (a fresh one: the suite takes it down)
        return fresh_fake_twilio

    @pytest.fixture
    def make_sender(self, fresh_fake_twilio):  # noqa: F811
        journal = MemoryJournal()  # shared, as the database's is by every worker
        return lambda: TwilioVoiceCaller.from_settings(fresh_fake_twilio.settings(), journal=journal)


def test_the_call_says_the_text_in_french_listens_for_one_key_and_reports_back(fake_twilio):  # noqa: F811
    caller = TwilioVoiceCaller.from_settings(fake_twilio.settings())
    [result] = caller.send_batch([OutgoingCall("+33199000101", "Crue : montez à l’étage.", "k1", PROMPT)])
    assert result.ok and result.provider_ref.startswith("CA")
    [placed] = fake_twilio.placed
    assert placed["said"] == "Crue : montez à l’étage." and placed["prompt"] == PROMPT
    base = "http://localhost/fournisseurs/twilio/" + fake_twilio.settings()["vvs.voice.twilio.callback_token"]
    assert placed["action"] == base + "/appel?etape=touche"
    assert placed["status_callback"] == base + "/appel?etape=etat"
    assert placed["timeout"] == "30"
    assert 'actionOnEmptyResult="true"' in placed["twiml"] and 'numDigits="1"' in placed["twiml"]


def test_a_text_too_long_for_twilio_is_shortened_and_keeps_its_prompt(fake_twilio):  # noqa: F811
    caller = TwilioVoiceCaller.from_settings(fake_twilio.settings())
    text = "Évacuez la rue de l’Église « immédiatement ». " * 200
    assert caller.send_batch([OutgoingCall("+33199000102", text, "long", PROMPT)])[0].ok
    [placed] = fake_twilio.placed
    assert len(placed["twiml"]) <= TWIML_MAX and placed["said"].endswith("…") and placed["prompt"] == PROMPT


def test_a_call_placed_before_a_crash_is_found_in_twilio_and_not_placed_again(fake_twilio):  # noqa: F811
    journal = MemoryJournal()
    caller = TwilioVoiceCaller.from_settings(fake_twilio.settings(), journal=journal)
    call = OutgoingCall("+33199000103", "Alerte.", "crash-key", PROMPT)
    assert caller.send_batch([call])[0].ok
    sid = fake_twilio.placed[0]["sid"]
    # the worker died after Twilio's answer, before noting the sid
    note = journal.notes["crash-key"]
    journal.notes["crash-key"] = type(note)(note.to, None, note.created_at)
    assert TwilioVoiceCaller.from_settings(fake_twilio.settings(), journal=journal).already_sent(["crash-key"]) == {
        "crash-key": sid}
    assert caller.send_batch([call])[0].provider_ref == sid
    assert len(fake_twilio.placed) == 1


def test_settings_are_checked_at_start_up(fake_twilio):  # noqa: F811
    for key, value in (("vvs.voice.twilio.account_sid", "pas-un-sid"), ("vvs.voice.twilio.from_number", "0176543210"),
                       ("vvs.voice.twilio.callback_token", "")):
        with pytest.raises(ConfigurationError):
            TwilioVoiceCaller.from_settings(fake_twilio.settings(**{key: value}))


def test_call_events_answered_by_a_machine_and_its_reply(fake_twilio):  # noqa: F811
    caller = TwilioVoiceCaller.from_settings(fake_twilio.settings())
    [result] = caller.send_batch([OutgoingCall("+33199000104", "Alerte.", "machine", PROMPT)])
    event = caller.parse_call_event(fake_twilio.call_event(result.provider_ref, "answered", answered_by="machine_start"))
    assert event.state == "answered" and event.by_machine
    body, kind = caller.call_reply(caller.parse_call_event(fake_twilio.call_event(result.provider_ref, "keypad", "1")),
                                   "Merci, votre confirmation est enregistrée.")
    assert kind == "text/xml" and 'language="fr-FR"' in body and "<Hangup" in body and "Merci" in body


def test_health_reads_the_account_and_places_no_call(fresh_fake_twilio):  # noqa: F811
    caller = TwilioVoiceCaller.from_settings(fresh_fake_twilio.settings())
    assert caller.health() is None
    fresh_fake_twilio.account_status = "suspended"
    assert caller.health() == "Le compte Twilio est suspendu : aucun appel ne partira."
    wrong = TwilioVoiceCaller.from_settings(fresh_fake_twilio.settings(**{"vvs.voice.twilio.auth_token": "autre-jeton"}))
    assert wrong.health() == "Twilio refuse l'identifiant du compte ou le jeton : aucun appel ne partira."
    fresh_fake_twilio.fail(503)
    assert caller.health() == "Le compte Twilio ne répond pas (code 503)."
    fresh_fake_twilio.fail("refused")
    assert caller.health().startswith("Twilio est injoignable (")
    assert fresh_fake_twilio.placed == []
