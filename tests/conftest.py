import contextlib
import os
import tempfile

import pytest

from app_changes import changed, left_as_built, watch_shared_apps
from vvs_core.accounts.principals import commune_agent as agent_principal
from vvs_core.plugins import hookimpl

pytest_plugins = ["vvs_core.testing", "parallel"]  # parallel: tests/parallel.py (pytest -n 2)


def _shared_template_cache() -> None:
    """The suite builds the application many times: in this process (one per backend, per
    plugin set, per test that needs other settings) and in others (the browser tests'
    servers, the workers, ``vvs``, ``pserve``), and Chameleon compiled every template
    again for each one, in memory: the largest single cost of the tests that visit many
    pages. Here compiled templates are kept in a folder of this user
    (``CHAMELEON_CACHE``, Chameleon's own setting, inherited by the subprocesses), named
    by a digest of the template's path, text, options and Chameleon's version: an edited
    template is compiled again, and a run reuses what the last one compiled. What a
    page renders is unchanged; production keeps compiling in memory."""
    from chameleon.loader import ModuleLoader
    from chameleon.template import BaseTemplate

    folder = os.environ.get("CHAMELEON_CACHE")
    if not folder or not os.path.isdir(folder):
        folder = os.path.join(tempfile.gettempdir(), f"vvs-test-templates-{os.getuid()}")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
        if info.st_uid != os.getuid() or info.st_mode & 0o022:  # someone else's: never load their code
            folder = tempfile.mkdtemp(prefix="vvs-test-templates-")
        os.environ["CHAMELEON_CACHE"] = folder
    BaseTemplate.loader = ModuleLoader(folder)


_shared_template_cache()


@pytest.fixture(autouse=True)
def _shared_apps_left_as_built():
    """After each test (and its fixtures), the shared applications as they were built: a
    change left behind fails the test that left it (tests/app_changes.py)."""
    watch_shared_apps()
    yield
    if leaks := left_as_built():
        pytest.fail("this test left a shared application changed (undo it with the change fixture or "
                    "app_changes.changed): " + " | ".join(leaks), pytrace=False)


@pytest.fixture
def change():
    """``change(registry, providers={kind: service}, settings={key: value})``: so for the
    rest of the test, then as before (tests/app_changes.py)."""
    with contextlib.ExitStack() as undo:
        yield lambda registry, **what: undo.enter_context(changed(registry, **what))


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
def plug(app_registry):
    """``plug(plugin)`` adds that hook implementation to the application for the rest of
    the test (and returns it)."""
    plugged = []

    def add(plugin):
        app_registry.vvs_plugins.register(plugin)
        plugged.append(plugin)
        return plugin
    yield add
    for plugin in reversed(plugged):
        app_registry.vvs_plugins.unregister(plugin)


@pytest.fixture
def agents(plug):
    """User id → INSEE code: ``agents[user.id] = "77449"`` makes that user an agent of
    that commune for the rest of the test."""
    return plug(_CommuneAgents()).agents


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


@pytest.fixture
def voice(app, change, tmp_path):
    """The development `folder` voice provider for the rest of the test (the outbox may
    call; each call's script lands in the folder returned); removed after it, since the
    application is shared by the tests of its configuration."""
    from vvs_dev_providers.providers import FolderVoiceCaller

    calls = tmp_path / "appels"
    change(app.registry, providers={"voice": FolderVoiceCaller(str(calls), speak=False)})
    return calls
