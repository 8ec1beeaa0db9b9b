"""The start-up hooks: a plugin's settings, providers and start-up callback are used."""
import pytest

from vvs_core import plugins as discovery
from vvs_core.app import load_settings
from vvs_core.errors import ConfigurationError
from vvs_core.hooktypes import ProviderSpec
from vvs_core.interfaces import SendResult
from vvs_core.settings import Setting
from vvs_core.testing import base_settings


class EchoSMS:
    name = "echo"

    def __init__(self, settings):
        self.prefix = settings["vvs.echo.prefix"]

    def send_batch(self, messages):
        return [SendResult(m.key, True, f"{self.prefix}-{i}") for i, m in enumerate(messages)]


class EchoPlugin:
    """A provider plugin as a third party would write it."""

    started = []

    @discovery.hookimpl
    def vvs_register_settings(self):
        return [Setting("vvs.echo.flavour", "vanille", "A setting of the test plugin.")]

    @discovery.hookimpl
    def vvs_register_providers(self):
        return [ProviderSpec("sms", "echo", EchoSMS, settings=[Setting("vvs.echo.prefix", None, "Reference prefix.", required=True)])]

    @discovery.hookimpl
    def vvs_startup(self, registry):
        self.started.append(registry)


class EP:
    name = "vvs_echo"

    def load(self):
        return EchoPlugin()


def installed_with_echo():
    installed = dict(discovery.installed_plugins())
    installed["vvs_echo"] = EP()
    return installed


def test_vvs_register_settings(tmp_path):
    raw = base_settings(f"sqlite:///{tmp_path}/x.sqlite", **{"vvs.plugins": "vvs_dev_providers vvs_echo", "vvs.echo.flavour": "fraise",
                                                             "vvs.echo.prefix": "p"})
    settings, *_ = load_settings(raw, installed=installed_with_echo())
    assert settings["vvs.echo.flavour"] == "fraise"
    raw.pop("vvs.echo.flavour")
    raw["vvs.echo.flavor"] = "x"
    with pytest.raises(ConfigurationError, match="vvs.echo.flavor"):
        load_settings(raw, installed=installed_with_echo())


def test_vvs_register_providers(tmp_path):
    from vvs_core.providers import build_providers

    raw = base_settings(f"sqlite:///{tmp_path}/x.sqlite", **{"vvs.plugins": "vvs_dev_providers vvs_echo", "vvs.sms.provider": "echo"})
    settings, pm, _d, _n, specs = load_settings(raw | {"vvs.echo.prefix": "ref"}, installed=installed_with_echo())
    services = build_providers(settings, specs)
    assert isinstance(services["sms"], EchoSMS) and services["sms"].prefix == "ref"
    settings, pm, _d, _n, specs = load_settings(raw, installed=installed_with_echo())
    with pytest.raises(ConfigurationError, match="vvs.echo.prefix"):
        build_providers(settings, specs)
    settings["vvs.sms.provider"] = "pigeon"
    with pytest.raises(ConfigurationError, match="pigeon.*available: console, echo, null"):
        build_providers(settings, specs)


def test_vvs_startup():
    pm = discovery.build_plugin_manager([], {})
    calls = []
    pm.hook.vvs_startup.call_historic(kwargs={"registry": "R"})

    class Late:
        @discovery.hookimpl
        def vvs_startup(self, registry):
            calls.append(registry)

    pm.register(Late())
    assert calls == ["R"]


def test_configure_broker_does_not_reuse_a_broker_that_is_no_longer_global():
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    from vvs_core.jobs.tasks import configure_broker

    saved = dramatiq.broker.global_broker
    try:
        first = configure_broker({"vvs.broker_url": "redis://127.0.0.1:6379/12"})
        assert configure_broker({"vvs.broker_url": "redis://127.0.0.1:6379/12"}) is first
        other = StubBroker()
        dramatiq.set_broker(other)
        again = configure_broker({"vvs.broker_url": "redis://127.0.0.1:6379/12"})
        assert again is not other and dramatiq.get_broker() is again
    finally:
        dramatiq.set_broker(saved)


def test_an_application_used_again_sends_to_its_own_broker(db_url, session_factory):
    """The suite keeps its applications (``app_on_session``). Building another (here with one
    plugin, as the plugin-enablement tests do) sets dramatiq's global broker and takes the core's
    actors to it, not the other plugins': used again, the first application must find its broker and
    every actor it declared there, or what it sends is never run (``run_tasks`` reads the
    global broker). Seen in the first whole run with two workers: 10 alerts never delivered."""
    import dramatiq

    from vvs_core.testing import app_on_session, build_app

    with app_on_session(db_url, session_factory):
        broker = dramatiq.get_broker()
    build_app(db_url, **{"vvs.plugins": "vvs_dev_providers"})
    assert dramatiq.get_broker() is not broker
    with app_on_session(db_url, session_factory):
        assert dramatiq.get_broker() is broker
        assert broker.actors and all(actor.broker is broker for actor in broker.actors.values())
