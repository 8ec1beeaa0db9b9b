"""Test support for the mairie plugin (and for plugins that meet it through hooks).

Fixtures: ``mairie`` (Serris subscribed, an agent with a confirmed TOTP secret, a
community with residents), ``agent_login`` (signs the agent in, second factor
included), ``agent_token`` (a personal API token the agent creates after the second
factor), ``fake_activity`` (a stand-in for vvs_alerts' ``vvs_commune_activity``:
the items of its ``items`` list).
"""
from __future__ import annotations

from dataclasses import dataclass, field


import pyotp
import pytest

from vvs_core.clock import timestamp
from vvs_core.plugins import hookimpl


@dataclass
class MairieSetup:
    commune: object
    mairie: object
    agent: object
    agent_user: object
    secret: str
    community: object
    residents: list = field(default_factory=list)


def enrol_agent(dbsession, settings, user, commune, role="agent", channels=("email",)):
    """An agent of ``commune`` whose TOTP secret is confirmed, sealed under the keys of
    ``settings`` (the application's: ``app_registry.settings``; a bare ``vvs.secret``
    string, as tests wrote before the key setting, stands for settings without TOTP
    key); returns (agent, secret)."""
    from .models import MairieAgent

    if isinstance(settings, str):
        settings = {"vvs.secret": settings}
    from .twofactor import confirm_enrolment, seal

    secret = pyotp.random_base32()
    agent = MairieAgent(user_id=user.id, commune_id=commune.id, role=role, alert_channels=list(channels),
                        totp_secret=seal(settings, secret))
    dbsession.add(agent)
    dbsession.flush()
    confirm_enrolment(dbsession, agent)
    return agent, secret


@pytest.fixture
def mairie(dbsession, app_registry, commune, make_user, make_community):
    from .agents import mairie_of

    row = mairie_of(dbsession, commune.id, create=True)
    row.subscribed = True
    agent_user = make_user(first_name="Agnès", last_name="Marchand", mobile=None)
    agent, secret = enrol_agent(dbsession, app_registry.settings, agent_user, commune)
    residents = [make_user(address_label=f"{n} rue Test") for n in range(3)]
    community = make_community("Le Bourg", members=residents)
    for n, user in enumerate(residents):
        from vvs_core.geo import as_point

        user.home = as_point((2.7861 + 0.0002 * n, 48.8453))
    dbsession.flush()
    return MairieSetup(commune, row, agent, agent_user, secret, community, residents)


@pytest.fixture
def agent_login():
    used = []

    def login(testapp, setup: MairieSetup):
        testapp.login(setup.agent_user)
        # A code is accepted once: a second sign-in in the same test takes the next one.
        code = pyotp.TOTP(setup.secret).at(timestamp() + 30 * len(used))
        used.append(code)
        response = testapp.post_csrf("/mairie/2fa", {"code": code})
        assert response.status_int == 303, response.text[:1000]
        return response

    return login


def token_from_page(testapp, name="Logiciel de la police municipale") -> str:
    """A personal API token created through « Mes paramètres › Jetons d'accès » by the
    user signed in on ``testapp`` (so that ``vvs_api_token_issued`` sees their session);
    the test app's cookies are then dropped: what follows uses the token alone."""
    import re

    page = testapp.get("/parametres/jetons")
    form = page.forms["jeton"]
    form["name"] = name
    created = form.submit("submit")
    token = re.search(r'id="nouveau-jeton"[^>]*value="(vvs_[^"]+)"', created.text).group(1)
    testapp.reset()
    return token


@pytest.fixture
def agent_token(agent_login):
    """``agent_token(testapp, setup)``: the agent signs in (second factor included),
    creates a token on the page, and the test app forgets the session."""
    def make(testapp, setup: MairieSetup) -> str:
        agent_login(testapp, setup)
        return token_from_page(testapp)

    return make


class FakeActivity:
    """Answers ``vvs_commune_activity`` with ``items`` (dicts as the hookspec says)."""

    def __init__(self):
        self.items: list[dict] = []

    @hookimpl
    def vvs_commune_activity(self, request, commune, since):
        return [dict(i) for i in self.items]


@pytest.fixture
def fake_activity(app_registry):
    fake = FakeActivity()
    app_registry.vvs_plugins.register(fake, name="test-fake-activity")
    try:
        yield fake
    finally:
        app_registry.vvs_plugins.unregister(name="test-fake-activity")


def at_once(prepared: list) -> list:
    """Two agents (or devices) at the same moment: each of ``prepared`` is called in its own
    thread and gives the call to make; all are made together, past a barrier. Their
    answers, in order (for the concurrency tests)."""
    import threading

    barrier = threading.Barrier(len(prepared))
    answers = [None] * len(prepared)

    def one(n):
        call = prepared[n]()
        barrier.wait()
        answers[n] = call()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
