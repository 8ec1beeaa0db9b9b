"""The webpush provider passes the push contract suite against a fake push service that
decrypts what arrives with each device's keys."""
import pytest

from fake_push import FakePushService
from push_keys import vapid_keypair
from vvs_core.testing import PushSenderContract
from vvs_push.webpush import WebPushSender


class TestWebPush(PushSenderContract):
    # Web Push (RFC 8030) has no idempotency key: a batch retried after a crash may reach
    # a device twice (the outbox delivers push notifications at least once).
    sends_each_key_once = False
    sender_class = WebPushSender  # tests/core/test_push_contract_bites.py puts flawed copies here

    @pytest.fixture
    def fake(self):
        fake = FakePushService()
        yield fake
        fake.close()

    @pytest.fixture
    def make_sender(self, fake):
        private, _public = vapid_keypair()
        return lambda: self.sender_class(private, "mailto:equipe@vvs.invalid", timeout=1.0)
