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


def test_health_checks_the_public_key_against_the_private_one():
    private, public = vapid_keypair()
    _other_private, other_public = vapid_keypair()

    def sender(public_key):
        return WebPushSender(private, "mailto:equipe@vvs.invalid", public_key=public_key)

    assert sender(public).health() is None
    assert sender(public + "==").health() is None  # padded or not, the same key
    assert sender(other_public).health() == (
        "La clé publique VAPID (vvs.push.vapid_public_key) n'est pas celle de la clé privée : "
        "les services de notification refuseront chaque envoi.")
    assert sender("").health() == ("La clé publique VAPID (vvs.push.vapid_public_key) manque : "
                                   "aucun navigateur ne peut s'abonner.")
