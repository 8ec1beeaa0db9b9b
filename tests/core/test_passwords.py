from vvs_core.security import hash_password, password_problem, verify_password
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
