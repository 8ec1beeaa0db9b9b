"""The people of the account tests: a moderator, and Hélène, whose account they act on."""
from __future__ import annotations

import pytest


@pytest.fixture
def moderator(make_user):
    return make_user(first_name="Noé", last_name="Ménard", is_moderator=True)


@pytest.fixture
def target(make_user, make_community):
    """Hélène, member of « Les Chênes d'Ô », with an e-mail, a mobile and a pseudonym to be found by."""
    user = make_user(first_name="Hélène", last_name="Lefèvre-Çelik", pseudonym="hélène77",
                     email="helene.lefevre@example.test", mobile="+33612345678")
    make_community(name="Les Chênes d'Ô", members=[user])
    return user
