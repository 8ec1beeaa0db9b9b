"""Configuration order: settings → broker → plugin manager → core → plugins → checks."""

import os
from dataclasses import replace

from pyramid.config import Configurator

from vvs_core.web import links
from . import plugins as plugin_discovery
from .errors import ConfigurationError
from .settings import core_registry


def load_settings(raw: dict, installed: dict | None = None, port=None):
    """Resolve settings and build the plugin manager (shared by the app and commands).

    ``port``: the port the development server was told to listen on (pserve's
    ``http_port=``), the default of ``vvs.public_url`` with the ``PORT`` variable.
    """
    installed = plugin_discovery.installed_plugins() if installed is None else installed
    declared = core_registry()
    # The environment wins, as for every setting (VVS_PLUGINS).
    plugin_setting = os.environ.get("VVS_PLUGINS", raw.get("vvs.plugins", "*"))
    names = plugin_discovery.enabled_names(str(plugin_setting).split(), installed)
    pm = plugin_discovery.build_plugin_manager(names, installed)
    for owner_settings in pm.hook.vvs_register_settings():
        for setting in owner_settings or []:
            declared.declare(setting)
    from .providers import collect_provider_specs

    specs = collect_provider_specs(pm)
    from vvs_core.providers.callbacks import callback_settings

    for spec in specs:
        for setting in [*spec.settings, *(callback_settings(spec) if spec.callbacks else [])]:
            if setting.name not in declared.declared:
                # Required only when this provider is the one chosen (checked in providers.py).
                declared.declare(replace(setting, required=False), owner=f"provider {spec.kind}:{spec.name}")
    settings = declared.resolve(links.with_default_public_url(raw, port), enabled=names)
    from vvs_core.web.timefmt import set_zone

    set_zone(settings["vvs.timezone"])  # every process (web, worker, commands) shows dates there
    secret = settings.get("vvs.secret") or ""
    if len(secret) < 32:
        raise ConfigurationError("setting vvs.secret must be at least 32 characters long (set VVS_SECRET)")
    return settings, pm, declared, names, specs


# The core's pages, each module adding its own routes in its includeme (narrow scans).
CORE_PAGES = (".accounts.login", ".communities.home", ".accounts.signup", ".communities.validation_views",
              ".accounts.views", ".communities.views", ".communities.referent_tools",
              ".web.pwa")


def configure(raw_settings: dict, registry_extras: dict, port=None) -> Configurator:
    settings, pm, declared, names, specs = load_settings(dict(raw_settings), port=port)
    links.warn_about_public_url(settings, links.is_set(raw_settings))
    settings.setdefault("pyramid.default_locale_name", "fr")

    from vvs_core.jobs.tasks import configure_broker

    configure_broker(settings)  # before any actor module is imported
    from vvs_core.accounts.security import configure_password_hashing

    configure_password_hashing(settings)

    config = Configurator(settings=settings)
    for key, value in registry_extras.items():
        config.registry[key] = value
    config.registry.vvs_plugins = pm
    config.registry.vvs_settings = declared
    config.registry.vvs_enabled_plugins = names
    config.registry.vvs_periodic_tasks = []
    # What plugins declare at start-up (see hookspecs: "Start-up registries").
    from vvs_core.communities.events import collect_event_kinds
    from .notify.kinds import collect_notification_kinds
    from vvs_core.accounts.principals import collect_principal_kinds
    from .hooktypes import ValidationMode
    from .plugins import collect_declared

    config.registry.vvs_notification_kinds = collect_notification_kinds(pm)
    config.registry.vvs_event_kinds = collect_event_kinds(pm)
    config.registry.vvs_principal_kinds = collect_principal_kinds(pm)
    config.registry.vvs_validation_modes = collect_declared(pm, "vvs_register_validation_modes", ValidationMode,
                                                            "validation mode")

    config.include("pyramid_chameleon")
    config.include(".web.templating")  # templates compiled one at a time (threaded workers)
    config.include("pyramid_services")
    config.include(".models")
    config.include(".jobs.tasks")
    config.include(".web.cache")
    config.include(".web.batch")
    config.include(".accounts.security")
    config.include(".web.i18n")
    config.include(".providers")
    config.registry.vvs_provider_specs = specs
    config.include(".notify")
    config.include(".jobs")
    config.include(".web")
    for module in CORE_PAGES:
        config.include(module)
    config.include(".providers.callbacks")  # /fournisseurs/{provider}/{token}/…
    config.commit()

    for name in names:
        module = plugin_discovery.plugin_module_name(pm, name)
        config.include(module)
    config.commit()

    from vvs_core.accounts.security import check_every_view_has_permission

    check_every_view_has_permission(config)
    pm.hook.vvs_startup.call_historic(kwargs={"registry": config.registry})
    return config
