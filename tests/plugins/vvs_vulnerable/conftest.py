"""The register meets vvs_mairie's agents (the role « CCAS ») only through principals:
the mairie's fixtures, and a CCAS agent of Serris with their second factor."""
from __future__ import annotations

import pyotp
import pytest

from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401


@pytest.fixture
def ccas(dbsession, make_user, mairie):  # noqa: F811
    from vvs_core.testing import TEST_SECRET

    user = make_user(first_name="Camille", last_name="Sociale-Ébrard", mobile="+33611110001")
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, user, mairie.commune, role="ccas", channels=("email", "sms"))
    return user, secret


@pytest.fixture
def ccas_login(ccas):
    used = []

    def login(testapp):
        from vvs_core.clock import timestamp

        user, secret = ccas
        testapp.reset()  # a fresh browser: whoever was signed in before is gone
        testapp.login(user)
        code = pyotp.TOTP(secret).at(timestamp() + 30 * len(used))
        used.append(code)
        testapp.post_csrf("/mairie/2fa", {"code": code}, status=303)

    return login
