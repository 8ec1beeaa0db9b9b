from vvs_core.accounts.security import hash_password, password_problem, verify_password
from vvs_core.models import User


def test_short_and_common_passwords_are_refused_in_french():
    assert "12 caractères" in password_problem("court")
    assert "trop courant" in password_problem("azertyuiop123")
    assert "trop courant" in password_problem("aaaaaaaaaaaaaaaa")
    assert password_problem("Jean-Marie", context=("jean-marie",)) is not None
    assert password_problem("trois chats dans la cour") is None


def test_argon2_roundtrip():
    user = User(password_hash=hash_password("trois chats dans la cour"))
    assert user.password_hash.startswith("$argon2")
    assert verify_password(user, "trois chats dans la cour")
    assert not verify_password(user, "trois chats dans la courx")
    assert not verify_password(None, "whatever")


def test_hashing_cost_comes_from_the_settings_and_refuses_less_than_owasp():
    """docs/security.md: vvs.password_hash.* (default 19 MiB × 2 passes × 1 lane); below
    OWASP's weakest listed configuration start-up stops with one clear line."""
    import pytest

    from vvs_core.errors import ConfigurationError
    from vvs_core.accounts.security import configure_password_hashing
    from vvs_core.settings import CORE_SETTINGS

    defaults = {s.name: s.default for s in CORE_SETTINGS if s.name.startswith("vvs.password_hash.")}
    assert defaults == {"vvs.password_hash.memory_kib": 19456, "vvs.password_hash.time_cost": 2,
                        "vvs.password_hash.parallelism": 1}
    configure_password_hashing(defaults)  # the test suite's cheap hasher stays pinned
    with pytest.raises(ConfigurationError, match="below OWASP's minimum"):
        configure_password_hashing({**defaults, "vvs.password_hash.memory_kib": 8192})


def test_a_hash_made_with_other_parameters_is_redone_at_login(testapp, dbsession, make_user):
    from argon2 import PasswordHasher

    password = "trois chats dans la cour 🐈"
    user = make_user(password=password)
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(password)  # argon2-cffi's default
    dbsession.flush()
    testapp.login(user, password)
    dbsession.refresh(user)
    assert "m=65536" not in user.password_hash and verify_password(user, password)
