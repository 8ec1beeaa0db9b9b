"""Contract test suites for providers: a provider's tests subclass one of these once.

They are **behavioural**: they run the provider against a fake of its service that the
provider's tests supply (fixture ``fake``, e.g. a ``FakeHTTPService``) and check what
arrived there, not only what the provider answered. A missing fixture (``fake``,
``make_sender`` / ``make_geocoder`` / ``make_verifier``) fails the suite, never skips it.
What each suite drives on its fake, and what it checks: docs/providers.md, « Testing a
provider: the contract suites »."""

import logging
import time
import uuid
from collections import Counter
from types import SimpleNamespace

import pytest
from pyramid.request import Request

from vvs_core.errors import PartnerUnavailable, TransientDeliveryError
from vvs_core.hooktypes import InboundSMS
from vvs_core.interfaces import (CallbackRefused, CallEvent, DeliveryReceipt, GeocodeResult, IdentityResult, OutgoingCall,
                                 OutgoingEmail, OutgoingSMS, SendResult)
from vvs_core.providers.push import OutgoingPush

FRENCH_TEXT = ("Alerte : véhicule suspect rue de l’Église, près de l’école. "
               "Soyez vigilants — « merci » à tous ! Œuvre, çà et là, 15 €.")
EMOJI_TEXT = "🚨 Chat perdu 🐱 rue des Lilas ; appelez-moi 📞 si vous le voyez 🙏"
LONG_TEXT = ("Réunion des voisins vigilants jeudi à 19 h à la salle des fêtes : bilan de l’année, "
             "nouveaux référents, « opération tranquillité vacances » avec la gendarmerie. ") * 3 + "Venez nombreux !"
TEXTS = (FRENCH_TEXT, EMOJI_TEXT, LONG_TEXT)
RESERVED_KEYS = ("alerte:42/voisin:7", "a?b=c&d#e", "100% sûr", "clé avec espaces", "x\"y'z\\w", "k" * 193,  # 200 with the run's prefix
                 "alerte:42:7:sms~3f9c0a1b7e42")  # the shape of the keys the outbox hands (outbox.provider_key)
TRANSIENT = ("timeout", "refused", 429, 500, 502, 503)
NOT_ACCEPTED = (401, 403)
FAILURES = ("timeout", "refused", 400, 401, 403, 429, 500, 502, 503)
DEADLINE = 30  # seconds a batch of two may take when the service hangs


def required(name: str, what: str):
    """A fixture the suite's subclass must define: without it, the suite fails."""
    return pytest.fixture(name=name)(lambda self: pytest.fail(f"define a `{name}` fixture: {what}"))


class _SenderContract:
    # A key handed over again (a batch retried after a crash) is not sent again. Only an
    # e-mail provider whose protocol cannot tell (SMTP) may say False, with no
    # ``already_sent``: the outbox then delivers at least once. SMS providers cannot.
    sends_each_key_once = True

    # --- fixtures the subclass must give ----------------------------------------

    fake = required("fake", "the fake of the provider's service (see vvs_core.providers.contracts)")
    make_sender = required("make_sender", "a callable that builds the provider pointed at `fake`")

    @pytest.fixture
    def sender(self, make_sender):
        return make_sender()

    # --- helpers --------------------------------------------------------------------

    def recipients(self, count):
        raise NotImplementedError

    def message(self, recipient, key, text=FRENCH_TEXT):
        raise NotImplementedError

    def arrived_text(self, message):
        """What the fake should have received for ``message``: (recipient, text)."""
        return (message.to, message.text)

    def batch(self, count, prefix="contrat", texts=None):
        run = uuid.uuid4().hex[:8]  # unique keys per run: a provider may remember keys
        texts = texts or [FRENCH_TEXT] * count
        return [self.message(to, f"{prefix}-{run}-{i}", texts[i]) for i, to in enumerate(self.recipients(count))]

    def send(self, sender, messages):
        """send_batch, checked for shape; a TransientDeliveryError becomes transient results."""
        try:
            results = sender.send_batch(messages)
        except TransientDeliveryError as exc:
            return [SendResult(m.key, ok=False, transient=True, error=str(exc) or "transient") for m in messages]
        assert isinstance(results, list) and [type(r) for r in results] == [SendResult] * len(messages)
        assert [r.key for r in results] == [m.key for m in messages], "one result per message, in order, keys echoed"
        return results

    def assert_arrived_once(self, fake, messages):
        arrived = Counter(fake.arrived())
        for message in messages:
            assert arrived[self.arrived_text(message)] == 1, (
                f"{message.key!r} arrived {arrived[self.arrived_text(message)]} times, not once")

    # --- shape --------------------------------------------------------------------

    def test_has_a_name(self, sender):
        assert isinstance(sender.name, str) and sender.name

    def test_empty_batch_returns_empty_list(self, sender):
        assert sender.send_batch([]) == []

    def test_one_result_per_message_in_order_and_refs_unique(self, sender, fake):
        messages = self.batch(5)
        results = self.send(sender, messages)
        assert all(r.ok for r in results), [r.error for r in results]
        refs = [r.provider_ref for r in results]
        assert all(ref is None for ref in refs) or all(isinstance(ref, str) and ref for ref in refs)
        if refs[0] is not None:
            assert len(set(refs)) == len(refs), "one reference per message, for delivery receipts"
        self.assert_arrived_once(fake, messages)

    # --- what arrives -------------------------------------------------------------

    @pytest.mark.parametrize("text", TEXTS, ids=["french", "emoji", "long"])
    def test_the_text_arrives_unchanged(self, sender, fake, text):
        [message] = self.batch(1, texts=[text])
        [result] = self.send(sender, [message])
        assert result.ok, result.error
        assert fake.arrived() == [self.arrived_text(message)], "the text must arrive as it was given"

    def test_the_same_key_twice_is_sent_once(self, sender, fake, make_sender):
        messages = self.batch(2)
        first = self.send(sender, messages)
        assert all(r.ok for r in first), [r.error for r in first]
        if not self.sends_each_key_once:  # declared at least once: say so consistently
            assert not hasattr(sender, "already_sent"), "a provider with already_sent sends each key once"
            return
        again = self.send(sender, messages[:1])
        assert again[0].ok, "a key already accepted is answered ok"
        later = self.send(make_sender(), messages[1:])  # another process (a retried batch)
        assert later[0].ok
        self.assert_arrived_once(fake, messages)
        # the same recipient and text under a new key is a new message
        [fresh] = self.batch(1)
        assert self.send(sender, [fresh])[0].ok

    def test_keys_with_reserved_characters(self, sender, fake):
        run = uuid.uuid4().hex[:6]
        tos = self.recipients(len(RESERVED_KEYS))
        messages = [self.message(to, f"{run}-{key}") for to, key in zip(tos, RESERVED_KEYS)]
        results = self.send(sender, messages)
        assert all(r.ok for r in results), [r.error for r in results]
        if self.sends_each_key_once:
            assert all(r.ok for r in self.send(sender, messages))
        self.assert_arrived_once(fake, messages)
        if hasattr(sender, "already_sent"):
            assert set(sender.already_sent([m.key for m in messages])) == {m.key for m in messages}

    # --- failures -----------------------------------------------------------------

    @pytest.mark.parametrize("how", TRANSIENT)
    def test_transient_failures_are_transient_and_a_retry_sends_once(self, sender, fake, how):
        messages = self.batch(2)
        fake.fail(how)
        started = time.monotonic()
        results = self.send(sender, messages)
        assert time.monotonic() - started < DEADLINE, "a hanging service must not hold the worker"
        assert all(not r.ok and r.transient and r.error for r in results), (
            f"{how}: every message must fail as transient (the outbox retries): {results}")
        assert fake.arrived() == []
        fake.recover()
        retried = self.send(sender, messages)
        assert all(r.ok for r in retried), f"once the service is back, the retry goes: {retried}"
        self.assert_arrived_once(fake, messages)

    def test_a_bad_request_is_permanent(self, sender, fake):
        messages = self.batch(2)
        fake.fail(400)
        results = self.send(sender, messages)
        assert all(not r.ok and not r.transient and r.error for r in results), results
        assert fake.arrived() == []

    @pytest.mark.parametrize("status", NOT_ACCEPTED)
    def test_refused_credentials_send_nothing(self, sender, fake, status):
        messages = self.batch(2)
        fake.fail(status)
        results = self.send(sender, messages)
        assert all(not r.ok and r.error for r in results), results
        assert fake.arrived() == []

    def test_a_failure_in_the_middle_of_a_batch_then_a_retry_sends_each_once(self, sender, fake):
        messages = self.batch(3, texts=[f"{FRENCH_TEXT} ({n}/3)" for n in (1, 2, 3)])
        fake.fail(503, after=1)
        results = self.send(sender, messages)  # (a provider sending all three in one call may see no failure)
        arrived = Counter(fake.arrived())
        for message, result in zip(messages, results):
            if result.ok:
                assert arrived[self.arrived_text(message)] == 1, f"{message.key} reported sent but did not arrive"
            else:
                assert result.transient, f"{message.key}: a 503 is transient"
        fake.recover()
        retry = [m for m, r in zip(messages, results) if not r.ok]
        retried = self.send(sender, retry)
        assert all(r.ok for r in retried), f"once the service is back, the retry goes: {retried}"
        self.assert_arrived_once(fake, messages)

    def test_invalid_recipients_fail_for_good_and_the_others_go(self, sender, fake, invalid_recipients):
        good = self.batch(2)
        bad = [self.message(to, f"invalide-{uuid.uuid4().hex[:6]}-{i}") for i, to in enumerate(invalid_recipients)]
        messages = [good[0], *bad, good[1]]
        results = self.send(sender, messages)
        assert results[0].ok and results[-1].ok, [r.error for r in results]
        assert all(not r.ok and not r.transient and r.error for r in results[1:-1]), results
        assert sorted(fake.arrived()) == sorted(self.arrived_text(m) for m in good)

    def test_already_sent_knows_what_was_sent_and_nothing_else(self, sender, fake):
        if not hasattr(sender, "already_sent"):
            return  # optional: without it the outbox sends a crashed row again (documented per provider)
        messages = self.batch(2, prefix="contrat-lookup")
        results = self.send(sender, messages)
        found = sender.already_sent([m.key for m in messages] + [f"contrat-jamais-{uuid.uuid4().hex[:8]}"])
        assert set(found) == {m.key for m in messages}
        assert [found[r.key] for r in results] == [r.provider_ref for r in results]


class SMSSenderContract(_SenderContract):
    """What every ``ISMSSender`` must do for the outbox (and for the core's callbacks
    when it reads receipts and inbound SMS)."""

    @pytest.fixture
    def invalid_recipients(self):
        return ["0612345678", "+33 6 12", "pas-un-numéro"]

    def recipients(self, count):
        return [f"+33639980{n:03d}" for n in range(1, count + 1)]  # the range kept for fiction

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingSMS(to=recipient, text=text, key=key)

    def test_each_key_is_sent_once(self):
        assert self.sends_each_key_once is True, "an SMS provider must not send a key twice (alerts cost and alarm)"

    # --- callbacks (when the provider reads them) -----------------------------------

    def test_receipts_are_read_back(self, sender, fake):
        if not callable(getattr(sender, "parse_receipt", None)):
            return  # no callbacks: nothing to read
        assert callable(getattr(fake, "receipt_call", None)), "the fake must offer receipt_call(provider_ref, state)"
        results = self.send(sender, self.batch(2))
        assert all(r.ok and r.provider_ref for r in results), "receipts need the provider's references"
        for result, state in zip(results, ("delivered", "failed")):
            receipt = sender.parse_receipt(fake.receipt_call(result.provider_ref, state))
            assert isinstance(receipt, DeliveryReceipt)
            assert (receipt.provider_ref, receipt.state) == (result.provider_ref, state)

    def test_inbound_sms_are_read_back_unchanged(self, sender, fake):
        if not callable(getattr(sender, "parse_inbound", None)):
            return
        assert callable(getattr(fake, "inbound_call", None)), "the fake must offer inbound_call(sender, text, id)"
        for n, text in enumerate(TEXTS):
            provider_id = f"entrant-{uuid.uuid4().hex[:6]}-{n}"
            message = sender.parse_inbound(fake.inbound_call("+33639980123", text, provider_id))
            assert isinstance(message, InboundSMS)
            assert (message.sender, message.text, message.provider_id, message.provider) == (
                "+33639980123", text, provider_id, sender.name)

    def test_empty_callbacks_are_refused(self, sender):
        for method in ("parse_receipt", "parse_inbound"):
            if callable(getattr(sender, method, None)):
                with pytest.raises(CallbackRefused):
                    getattr(sender, method)(Request.blank("/", POST={}))


class EmailSenderContract(_SenderContract):
    """What every ``IEmailSender`` must do for the outbox. The fake's ``arrived()``
    gives (recipient, text part) of each message."""

    @pytest.fixture
    def invalid_recipients(self):
        return ["pas-une-adresse", "voisin@", "@example.org"]

    def recipients(self, count):
        return [f"voisin{n}@example.org" for n in range(1, count + 1)]

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingEmail(to=recipient, subject="Alerte — rue de l’Église", text=text,
                             html=f"<p>{text}</p>", key=key)


VOICE_TEXT = ("EXERCICE. Message de la ville de Saint-Étienne-du-Rouvray : « crue de la Seine », "
              "l’eau monte rue de l’Église ; montez à l’étage et n’utilisez pas votre véhicule.")
VOICE_PROMPT = "Pour confirmer que vous avez bien reçu ce message, appuyez sur la touche 1."


class VoiceCallerContract(_SenderContract):
    """What every ``IVoiceCaller`` must do for the outbox: the calls' texts arrive as
    given (``arrived()`` gives (landline, text read aloud)), the prompt is said, keys
    are never placed twice, failures are classified as for SMS, and the provider reads
    back the call events its service makes."""

    @pytest.fixture
    def invalid_recipients(self):
        return ["0123456789", "+33 1 23", "pas-un-numéro"]

    def recipients(self, count):
        return [f"+331990{n:05d}" for n in range(1, count + 1)]  # 01 99 00 xx xx: kept for fiction

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingCall(to=recipient, text=text, key=key, prompt=VOICE_PROMPT)

    def test_each_key_is_sent_once(self):
        assert self.sends_each_key_once is True, "a voice provider must not call anyone twice for one key"

    def test_a_french_call_text_arrives_unchanged_with_its_prompt(self, sender, fake):
        [message] = self.batch(1, texts=[VOICE_TEXT])
        [result] = self.send(sender, [message])
        assert result.ok and result.provider_ref, result.error
        assert fake.arrived() == [(message.to, VOICE_TEXT)]
        assert callable(getattr(fake, "prompts", None)), "the fake must offer prompts(): the prompt said after each text"
        assert fake.prompts() == [VOICE_PROMPT]

    # --- call events -----------------------------------------------------------------

    @pytest.mark.parametrize("state,digits", [("answered", ""), ("listened", ""), ("keypad", "1"),
                                              ("keypad", "2"), ("completed", ""), ("failed", "")])
    def test_call_events_are_read_back(self, sender, fake, state, digits):
        assert callable(getattr(sender, "parse_call_event", None)), "a voice provider reads its call events"
        assert callable(getattr(fake, "call_event", None)), "the fake must offer call_event(provider_ref, state, digits)"
        [result] = self.send(sender, self.batch(1))
        event = sender.parse_call_event(fake.call_event(result.provider_ref, state, digits))
        assert isinstance(event, CallEvent)
        assert (event.provider_ref, event.state, event.digits) == (result.provider_ref, state, digits)
        if state == "failed":
            assert event.error, "a failed call says why, in French"

    def test_forged_call_events_are_refused(self, sender, fake):
        if not callable(getattr(fake, "forged_call_event", None)):
            return  # a service that does not sign its calls: the token in the URL is the only check
        [result] = self.send(sender, self.batch(1))
        with pytest.raises(CallbackRefused):
            sender.parse_call_event(fake.forged_call_event(result.provider_ref, "keypad", "1"))

    def test_empty_call_events_are_refused(self, sender):
        with pytest.raises(CallbackRefused):
            sender.parse_call_event(Request.blank("/", POST={}))


class GeocoderContract:
    """What every ``IGeocoder`` must do for the sign-up, the profile and the maps.

    The fake (``fake`` fixture) offers, besides ``fail(how)``/``recover()`` (as for the
    senders): ``add_address(result)`` (a ``GeocodeResult`` the service knows; a search
    finds it when one of its label's words is in the query, filtered by ``citycode``;
    ``reverse`` answers the nearest) and ``queries()``: the texts searched that reached
    the service, in order. ``make_geocoder``: a callable building the provider pointed at
    ``fake`` with a one-second timeout.

    A geocoder never raises and never holds the page: every failure (timeout, refused
    connection, 4xx, 5xx) is an empty answer — the resident then places the marker by
    hand — and the searched address never reaches a log line.
    """

    SERRIS = GeocodeResult("12 Rue de l’Église 77700 Serris", 2.787021, 48.845712, 0.93, "77449", "77700", "Serris")
    DANUBE = GeocodeResult("3 Cours du Danube 77700 Serris", 2.781104, 48.852407, 0.88, "77449", "77700", "Serris")
    LAGNY = GeocodeResult("12 Rue de l’Église 77400 Lagny-sur-Marne", 2.707103, 48.872701, 0.71, "77243", "77400",
                          "Lagny-sur-Marne")
    QUERY = "12 rue de l’Église « Serris »"

    fake = required("fake", "the fake of the geocoding service (see GeocoderContract)")
    make_geocoder = required("make_geocoder", "a callable that builds the geocoder pointed at `fake`")

    @pytest.fixture
    def geocoder(self, make_geocoder, fake):
        for known in (self.SERRIS, self.DANUBE, self.LAGNY):
            fake.add_address(known)
        return make_geocoder()

    @staticmethod
    def close_to(result, known) -> bool:
        return abs(result.lon - known.lon) < 1e-5 and abs(result.lat - known.lat) < 1e-5

    def test_has_a_name(self, geocoder):
        assert isinstance(geocoder.name, str) and geocoder.name

    def test_the_query_arrives_unchanged_and_the_address_is_found_lon_lat(self, geocoder, fake):
        results = geocoder.search(self.QUERY, limit=5)
        assert fake.queries() == [self.QUERY], "the text searched must reach the service as typed"
        assert results and all(isinstance(r, GeocodeResult) for r in results)
        best = results[0]
        assert best.label == self.SERRIS.label and self.close_to(best, self.SERRIS), (
            f"best first, (lon, lat) in that order: {best}")
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)

    def test_limit_and_citycode_are_honoured(self, geocoder):
        assert len(geocoder.search(self.QUERY, limit=1)) == 1
        found = geocoder.search(self.QUERY, limit=5, citycode="77243")
        assert [r.citycode for r in found] == ["77243"] and found[0].label == self.LAGNY.label

    def test_an_unknown_address_is_an_empty_list(self, geocoder):
        assert geocoder.search("Impasse inconnue Xyzzy", limit=5) == []

    def test_reverse_answers_the_nearest_address_or_none(self, geocoder):
        result = geocoder.reverse(self.DANUBE.lon + 0.00001, self.DANUBE.lat)
        assert isinstance(result, GeocodeResult) and result.label == self.DANUBE.label
        assert self.close_to(result, self.DANUBE)

    @pytest.mark.parametrize("how", FAILURES)
    def test_a_failing_service_is_an_empty_answer_without_the_address_in_the_logs(self, geocoder, fake, how, caplog):
        fake.fail(how)
        started = time.monotonic()
        with caplog.at_level(logging.DEBUG):
            assert geocoder.search(self.QUERY, limit=5) == []
            assert geocoder.reverse(self.SERRIS.lon, self.SERRIS.lat) is None
        assert time.monotonic() - started < DEADLINE, "a hanging service must not hold the page"
        assert "Église" not in caplog.text and "Eglise" not in caplog.text, "the address searched is personal data"
        fake.recover()
        assert geocoder.search(self.QUERY, limit=5), "once the service is back, searches find again"


class PushSenderContract(_SenderContract):
    """What every ``IPushSender`` must do for the outbox. A message goes to the devices
    it names; the fake (``fake`` fixture) is the push service: ``device(n)`` gives the
    n-th device it knows (``{"id", "endpoint", "p256dh", "auth"}``, endpoints on the
    fake; it decrypts what arrives with that device's keys), ``gone_device()`` one it
    answers 410 for, and ``arrived()`` the (endpoint, text) of each notification it
    accepted. Web Push has no idempotency key: a provider that cannot tell a retry sets
    ``sends_each_key_once = False`` (the outbox then delivers at least once)."""

    @pytest.fixture
    def invalid_recipients(self, fake):
        return [fake.gone_device(), fake.gone_device()]

    _fake = None

    @pytest.fixture(autouse=True)
    def _keep_fake(self, fake):
        self._fake = fake

    def recipients(self, count):
        return [self._fake.device(n) for n in range(count)]

    def message(self, recipient, key, text=FRENCH_TEXT):
        return OutgoingPush(key=key, title="Alerte — rue de l’Église", text=text, url="/alertes/1",
                            devices=[recipient])

    def arrived_text(self, message):
        return (message.devices[0]["endpoint"], message.text)


class IdentityVerifierContract:
    """What every ``IIdentityVerifier`` must do. The ``fake`` (the partner's service) offers
    ``fail(how)``/``recover()`` as for the senders, ``arrived()``: (the person's reference
    the partner was given, check id) of each check it opened, ``finish(check_id, outcome)``
    ("completed", "declined", "expired"), ``return_call(check_id)`` and
    ``forged_return_call(check_id, outcome)``: the request (``Request.blank``) with which the
    partner sends the browser back to the return URL, signed, or badly signed."""

    RETURN_URL = "https://voisins.example.fr/verification/retour"
    OUTCOMES = {"completed": "passed", "declined": "failed", "expired": "failed"}
    HOSTILE = ("", "?check=&reference=&status=&sig=", "?status=completed", "?check=%ff%fe&sig=%00",
               "?check=1&check=2&status=completed&sig=x", "?sig=" + "é" * 5000, "?reference=vvs-²&status=completed")

    fake = required("fake", "the fake of the partner's service (see IdentityVerifierContract)")
    make_verifier = required("make_verifier", "a callable that builds the verifier pointed at `fake`")

    @pytest.fixture
    def verifier(self, make_verifier):
        return make_verifier()

    @staticmethod
    def person():
        return SimpleNamespace(id=uuid.uuid4().int % 10**9, email=f"voisin-{uuid.uuid4().hex[:8]}@example.org")

    def start(self, verifier, fake, user) -> tuple[str, str]:
        """Start a check of ``user``: (the URL given, the id of the check the partner opened)."""
        url = verifier.start(Request.blank("/", base_url="https://voisins.example.fr"), user, self.RETURN_URL)
        assert isinstance(url, str) and url.startswith(("https://", "http://")), f"a URL for the browser: {url!r}"
        assert fake.arrived(), "the partner must have opened a check"
        return url, fake.arrived()[-1][1]

    def test_has_a_name_and_a_french_label(self, verifier):
        assert isinstance(verifier.name, str) and verifier.name
        assert isinstance(verifier.label, str) and verifier.label and verifier.available is True

    def test_a_started_check_is_opened_at_the_partner_once_for_the_same_person(self, verifier, fake, make_verifier):
        user, other = self.person(), self.person()
        url, check = self.start(verifier, fake, user)
        assert self.read(verifier.result(user)) == (user.id, "pending", check)
        assert self.start(verifier, fake, user)[0] == url, "a check still open is given back"
        assert self.start(make_verifier(), fake, user)[0] == url, "…by any instance (another worker)"
        assert len(fake.arrived()) == 1
        self.start(verifier, fake, other)
        assert len(fake.arrived()) == 2 and fake.arrived()[0][0] != fake.arrived()[1][0], "one reference per person"
        fake.finish(check, "expired")
        assert self.start(verifier, fake, user)[1] != check, "once a check ended, a new one is opened"

    @pytest.mark.parametrize("outcome", ["completed", "declined", "expired"])
    def test_a_finished_check_is_read_back(self, verifier, fake, outcome):
        user = self.person()
        _url, check = self.start(verifier, fake, user)
        fake.finish(check, outcome)
        back, asked = verifier.callback(fake.return_call(check)), verifier.result(user)
        assert self.read(back) == (user.id, self.OUTCOMES[outcome], check), "the partner's return, read back"
        assert self.read(asked) == self.read(back), "the partner's answer when asked"
        assert bool(back.detail) == bool(asked.detail) == (outcome != "completed"), "a failure says why, in French"

    @staticmethod
    def read(result):
        assert result is None or isinstance(result, IdentityResult)
        return result and (result.user_id, result.status, result.reference)

    @pytest.mark.parametrize("how", FAILURES)
    def test_a_failing_partner_is_unavailable_and_opens_nothing(self, verifier, fake, how):
        user, started = self.person(), time.monotonic()
        fake.fail(how)
        with pytest.raises(PartnerUnavailable):
            self.start(verifier, fake, user)
        assert verifier.result(user) is None, "no answer is no result, never an exception"
        assert time.monotonic() - started < DEADLINE, "a hanging partner must not hold the page"
        assert fake.arrived() == []
        fake.recover()
        self.start(verifier, fake, user)
        assert len(fake.arrived()) == 1

    def test_hostile_and_forged_returns_are_refused(self, verifier, fake):
        _url, check = self.start(verifier, fake, self.person())
        calls = [Request.blank(self.RETURN_URL + query) for query in self.HOSTILE]
        calls += [Request.blank(self.RETURN_URL, POST=b"\xff\xfe" * 1000), fake.forged_return_call(check, "completed")]
        assert [verifier.callback(call) for call in calls] == [None] * len(calls)
