"""Encryption at rest (vvs_core.encryption): one key setting per kind of secret, keys
rotated without locking anything out, vvs.secret out of the picture once a key is set."""
import pytest
from cryptography.fernet import Fernet, InvalidToken

from vvs_core.encryption import key_setting, keyring, parse_keys, reseal, seal_text, unseal_text
from vvs_core.errors import ConfigurationError

NAME = "vvs.exemple.encryption_key"
TEXT = "Clé « secrète » de l’agent — été 2026 🚨"


def settings(keys="", secret="s" * 40):
    return {"vvs.secret": secret, NAME: keys}


def test_a_new_key_put_first_seals_and_the_old_one_still_unseals():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = seal_text(keyring(settings(old), NAME, "exemple"), TEXT)
    rotated = keyring(settings(f"{new} {old}"), NAME, "exemple")
    assert unseal_text(rotated, sealed_before) == TEXT          # nobody locked out by the rotation
    sealed_after = seal_text(rotated, TEXT)
    assert unseal_text(keyring(settings(new), NAME, "exemple"), sealed_after) == TEXT   # sealed with the new key
    assert unseal_text(keyring(settings(old), NAME, "exemple"), sealed_after) is None
    resealed = reseal(rotated, sealed_before)                    # re-sealed: the old key may go
    assert unseal_text(keyring(settings(new), NAME, "exemple"), resealed) == TEXT


def test_changing_vvs_secret_changes_nothing_once_a_key_is_set():
    key = Fernet.generate_key().decode()
    sealed = seal_text(keyring(settings(key, secret="a" * 40), NAME, "exemple"), TEXT)
    assert unseal_text(keyring(settings(key, secret="b" * 40), NAME, "exemple"), sealed) == TEXT


def test_setting_a_key_for_the_first_time_locks_nothing_out():
    dev = seal_text(keyring(settings(), NAME, "exemple"), TEXT)          # sealed while the setting was empty
    key = Fernet.generate_key().decode()
    ring = keyring(settings(key), NAME, "exemple")
    assert unseal_text(ring, dev) == TEXT
    moved = reseal(ring, dev)                                            # `vvs reseal`
    assert unseal_text(keyring(settings(key, secret="d" * 40), NAME, "exemple"), moved) == TEXT


def test_empty_setting_derives_a_key_per_purpose_from_vvs_secret():
    one = seal_text(keyring(settings(), NAME, "exemple"), TEXT)
    assert unseal_text(keyring(settings(), NAME, "exemple"), one) == TEXT
    assert unseal_text(keyring(settings(), NAME, "autre usage"), one) is None
    assert unseal_text(keyring(settings(secret="c" * 40), NAME, "exemple"), one) is None


def test_what_no_key_opens_is_none_or_refused():
    ring = keyring(settings(Fernet.generate_key().decode()), NAME, "exemple")
    for token in ("", "v1:abc", "pas un jeton", seal_text(keyring(settings(Fernet.generate_key().decode()), NAME, "x"), TEXT)):
        assert unseal_text(ring, token) is None
    with pytest.raises(InvalidToken):
        reseal(ring, seal_text(keyring(settings(Fernet.generate_key().decode()), NAME, "x"), TEXT))


def test_a_wrong_key_names_the_setting_and_how_to_make_one():
    with pytest.raises(ValueError, match="key 2 is not a Fernet key.*generate_key"):
        parse_keys(f"{Fernet.generate_key().decode()} pas-une-clé")
    with pytest.raises(ConfigurationError, match=NAME):
        keyring(settings("trop-courte"), NAME, "exemple")
    assert parse_keys(f" {Fernet.generate_key().decode()},{Fernet.generate_key().decode()} ").__len__() == 2


def test_key_setting_is_secret_and_documented():
    setting = key_setting(NAME, "examples")
    assert setting.secret and "examples" in setting.doc and "VVS_EXEMPLE_ENCRYPTION_KEY" in setting.doc
    assert setting.parse("") == ()
