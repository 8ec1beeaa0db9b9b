"""Contract test suites for providers: a provider's tests subclass one of these once.

Example, for an SMS provider::

    from vvs_core.provider_contracts import SMSSenderContract

    class TestMySMS(SMSSenderContract):
        @pytest.fixture
        def make_sender(self, my_fake_server):
            return lambda: MySMSSender(url=my_fake_server.url, key="test")

        # optional: a sender whose next batch fails in a way worth retrying
        @pytest.fixture
        def make_failing_sender(self, my_fake_server):
            my_fake_server.answer_503()
            return lambda: MySMSSender(url=my_fake_server.url, key="test")

``make_sender`` returns a callable that builds a working sender. Override
``valid_recipient`` when the provider's test double accepts only some addresses.
The optional ``already_sent(keys)`` lookup (see ``vvs_core.notify.actors``) is
checked when the provider has it.
"""
from __future__ import annotations

import uuid

import pytest

from .errors import TransientDeliveryError
from .interfaces import OutgoingEmail, OutgoingSMS, SendResult

FRENCH_TEXT = ("Alerte : véhicule suspect rue de l'Église, près de l'école. "
               "Soyez vigilants — « merci » à tous ! Œuvre, çà et là, 15 €.")


class _SenderContract:
    @pytest.fixture
    def make_sender(self):
        raise NotImplementedError("define a make_sender fixture returning a callable that builds the provider")

    @pytest.fixture
    def make_failing_sender(self):
        pytest.skip("this provider's tests offer no way to make it fail transiently")

    @pytest.fixture
    def sender(self, make_sender):
        return make_sender()

    def message(self, recipient, key, text=FRENCH_TEXT):
        raise NotImplementedError

    def batch(self, recipient, count, prefix="contract"):
        # Unique keys per run: a provider (or its test double) may remember keys.
        run = uuid.uuid4().hex[:8]
        return [self.message(recipient, f"{prefix}-{run}-{i}") for i in range(count)]

    def test_has_a_name(self, sender):
        assert isinstance(sender.name, str) and sender.name

    def test_empty_batch_returns_empty_list(self, sender):
        assert sender.send_batch([]) == []

    def test_one_result_per_message_in_order_with_keys_echoed(self, sender, valid_recipient):
        messages = self.batch(valid_recipient, 5)
        results = sender.send_batch(messages)
        assert [type(r) for r in results] == [SendResult] * 5
        assert [r.key for r in results] == [m.key for m in messages]
        assert all(r.ok for r in results), [r.error for r in results]

    def test_provider_refs_are_all_strings_or_all_none(self, sender, valid_recipient):
        results = sender.send_batch(self.batch(valid_recipient, 3))
        refs = [r.provider_ref for r in results if r.ok]
        assert all(ref is None for ref in refs) or all(isinstance(ref, str) and ref for ref in refs)
        if refs and refs[0] is not None:
            assert len(set(refs)) == len(refs), "one reference per message, for delivery receipts"

    def test_french_unicode_text_is_accepted(self, sender, valid_recipient):
        [result] = sender.send_batch([self.message(valid_recipient, f"contract-unicode-{uuid.uuid4().hex[:8]}")])
        assert result.ok, result.error

    def test_transient_failure_is_reported_as_transient(self, make_failing_sender, valid_recipient):
        sender = make_failing_sender()
        messages = self.batch(valid_recipient, 2, prefix="contract-failing")
        try:
            results = sender.send_batch(messages)
        except TransientDeliveryError:
            return
        assert [r.key for r in results] == [m.key for m in messages]
        assert all(not r.ok and r.transient and r.error for r in results)

    def test_already_sent_knows_what_was_sent_and_nothing_else(self, sender, valid_recipient):
        if not hasattr(sender, "already_sent"):
            pytest.skip("this provider has no already_sent lookup")
        messages = self.batch(valid_recipient, 2, prefix="contract-lookup")
        results = sender.send_batch(messages)
        found = sender.already_sent([m.key for m in messages] + [f"contract-never-sent-{uuid.uuid4().hex[:8]}"])
        assert set(found) == {m.key for m in messages}
        assert [found[r.key] for r in results] == [r.provider_ref for r in results]


class SMSSenderContract(_SenderContract):
    """What every ``ISMSSender`` must do for the outbox."""

    @pytest.fixture
    def valid_recipient(self):
        return "+33612345678"

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingSMS(to=recipient, text=text, key=key)


class EmailSenderContract(_SenderContract):
    """What every ``IEmailSender`` must do for the outbox."""

    @pytest.fixture
    def valid_recipient(self):
        return "voisin@example.org"

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingEmail(to=recipient, subject="Alerte — rue de l'Église", text=text,
                             html=f"<p>{text}</p>", key=key)
