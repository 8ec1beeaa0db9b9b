"""Providers: collected from ``vvs_register_providers``, chosen by name in the .ini,
validated and built once at start-up, registered as Pyramid services.

What a provider plugin needs, in one import (docs/providers.md)::

    from vvs_core.providers import ProviderSpec, Setting, hookimpl, as_float, as_int
"""

from vvs_core.errors import ConfigurationError
from vvs_core.hooktypes import ProviderSpec
from vvs_core.interfaces import IEmailSender, IGeocoder, IIdentityVerifier, IPushSender, ISMSSender, IVoiceCaller
from vvs_core.plugins import hookimpl  # noqa: F401  (part of the provider API)
from vvs_core.settings import Setting, as_float, as_int  # noqa: F401  (part of the provider API)

KINDS = {
    "sms": ("vvs.sms.provider", ISMSSender),
    "email": ("vvs.email.provider", IEmailSender),
    "geocoder": ("vvs.geocoder.provider", IGeocoder),
    "push": ("vvs.push.provider", IPushSender),
    "identity": ("vvs.identity.provider", IIdentityVerifier),
    "voice": ("vvs.voice.provider", IVoiceCaller)}
# Kinds whose setting may be left empty: no provider, and no such channel (no calls, no push).
OPTIONAL_KINDS = ("voice", "push")


class Outage(str):
    """``health()``'s answer when the outside service is down and the server lives without it: `vvs check` warns."""


def collect_provider_specs(pm) -> list[ProviderSpec]:
    specs, seen = [], set()
    for answer in pm.hook.vvs_register_providers():
        for spec in answer or []:
            if (spec.kind, spec.name) in seen:
                raise ConfigurationError(f"two plugins offer the {spec.kind} provider {spec.name!r}")
            seen.add((spec.kind, spec.name))
            specs.append(spec)
    return specs


def chosen_specs(settings, specs) -> dict[str, ProviderSpec]:
    """kind → the spec of the provider the settings name, its required settings checked."""
    chosen = {}
    by_kind: dict[str, dict[str, ProviderSpec]] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, {})[spec.name] = spec
    for kind, (setting, _iface) in KINDS.items():
        available = by_kind.get(kind, {})
        name = settings[setting]
        if not name and kind in OPTIONAL_KINDS:
            continue
        spec = available.get(name)
        if spec is None:
            names = ", ".join(sorted(available)) or "none"
            raise ConfigurationError(
                f"{setting} = {name!r} is not an installed {kind} provider; available: {names}{plugin_hint(kind, name)}"
            )
        for s in spec.settings:
            if s.required and not settings.get(s.name):
                raise ConfigurationError(
                    f"{kind} provider {name!r} needs {s.name} (or the environment variable {s.env_name})")
        chosen[kind] = spec
    return chosen


def plugin_hint(kind: str, name: str) -> str:
    """`` (it comes with the plugin …: add it to vvs.plugins)`` when an installed plugin
    brings that provider (a .ini naming the provider of a plugin it does not enable)."""
    from vvs_core.plugins import plugins_bringing

    plugins = plugins_bringing(f"{kind}.{name}")
    return f" (it comes with the plugin {' or '.join(plugins)}: add it to vvs.plugins)" if plugins else ""


def build_providers(settings, specs) -> dict:
    """kind → service instance for the provider the settings name."""
    services = {}
    for kind, spec in chosen_specs(settings, specs).items():
        try:
            services[kind] = spec.factory(settings)
        except ConfigurationError:
            raise
        except Exception as exc:  # a provider's own check of its settings
            raise ConfigurationError(f"{kind} provider {spec.name!r} could not start: {' '.join(str(exc).split())}") from exc
    return services


# --- Reading the chosen providers: the one way -------------------------------------

def find_provider(request, kind: str):
    """The provider chosen for ``kind`` ("sms", "email", "push"…), or None when none
    is configured; through ``request.find_service`` like any other service."""
    try:
        return request.find_service(KINDS[kind][1], context=None)
    except LookupError:
        return None


def provider_on(registry, kind: str):
    """``find_provider`` where there is no request (start-up hooks, actors)."""
    from types import SimpleNamespace

    from pyramid_services import find_service_factory

    try:
        return find_service_factory(SimpleNamespace(registry=registry), KINDS[kind][1])(None, None)
    except LookupError:
        return None


def channels_with_provider(request_or_registry) -> list[str]:
    """The notification channels ("sms", "email", "push", "voice") that have a provider."""
    from vvs_core.models.notification import CHANNELS

    from vvs_core.providers.push import push_devices

    registry = getattr(request_or_registry, "registry", request_or_registry)
    # Push needs devices too: without a plugin that records them, no page offers it.
    return [c for c in CHANNELS if provider_on(registry, c) is not None
            and (c != "push" or push_devices(registry) is not None)]


def register_providers(config, services: dict) -> None:
    """Register ``{kind: service}`` for ``find_provider`` (needs ``pyramid_services``)."""
    for kind, service in services.items():
        config.register_service(service, KINDS[kind][1])


def includeme(config):
    specs = collect_provider_specs(config.registry.vvs_plugins)
    register_providers(config, build_providers(config.registry.settings, specs))
