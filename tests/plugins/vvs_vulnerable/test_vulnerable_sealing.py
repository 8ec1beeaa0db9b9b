"""The register sealed the core's one way (vvs_core.encryption): its own key setting,
rotation without locking an entry out, what was sealed before a key was set still read."""
from cryptography.fernet import Fernet

from vvs_vulnerable.sealing import SETTING, seal, unseal

ENTRY = {"name": "Mme Éliane N’Guyen", "needs": "Fauteuil roulant — 2ᵉ étage « sans ascenseur »"}


def settings(*keys, secret="s" * 40):
    return {"vvs.secret": secret, SETTING: tuple(keys)}


def test_a_new_key_put_first_still_opens_the_old_entries():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = seal(settings(old), ENTRY)
    assert unseal(settings(new, old), sealed) == ENTRY
    assert unseal(settings(new), sealed) == {}


def test_entries_sealed_before_a_key_was_set_stay_readable_and_vvs_secret_then_plays_no_part():
    before = seal(settings(), ENTRY)  # development: the key derived from vvs.secret
    key = Fernet.generate_key().decode()
    assert unseal(settings(key), before) == ENTRY
    assert unseal(settings(key, secret="autre" * 10), seal(settings(key), ENTRY)) == ENTRY
