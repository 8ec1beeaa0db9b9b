import contextlib

import pytest

from vvs_core.accounts.principals import commune_agent as agent_principal
from vvs_core.plugins import hookimpl

pytest_plugins = ["vvs_core.testing"]


class _CommuneAgents:
    """Stands in for the mairie plugin: the users it holds are agents of a commune
    (second factor passed)."""

    def __init__(self):
        self.agents = {}

    @hookimpl
    def vvs_principals(self, request, user):
        insee = self.agents.get(user.id)
        return [agent_principal(insee)] if insee else []


@pytest.fixture
def agents(app_registry):
    """User id → INSEE code: ``agents[user.id] = "77449"`` makes that user an agent of
    that commune for the rest of the test."""
    plugin = _CommuneAgents()
    app_registry.vvs_plugins.register(plugin)
    yield plugin.agents
    app_registry.vvs_plugins.unregister(plugin)


@pytest.fixture
def commune_agent(agents):
    """``with commune_agent(user, insee):`` makes ``user`` an agent of that commune for the block."""
    @contextlib.contextmanager
    def grant(user, insee):
        agents[user.id] = insee
        try:
            yield
        finally:
            agents.pop(user.id, None)
    return grant
