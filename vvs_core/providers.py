"""Providers: collected from ``vvs_register_providers``, chosen by name in the .ini,
validated and built once at start-up, registered as Pyramid services."""
from __future__ import annotations

from .errors import ConfigurationError
from .hooktypes import ProviderSpec
from .interfaces import IEmailSender, IGeocoder, IIdentityVerifier, IPushSender, ISMSSender

KINDS = {
    "sms": ("vvs.sms.provider", ISMSSender),
    "email": ("vvs.email.provider", IEmailSender),
    "geocoder": ("vvs.geocoder.provider", IGeocoder),
    "push": (None, IPushSender),
    "identity": ("vvs.identity.provider", IIdentityVerifier),
}


def collect_provider_specs(pm) -> list[ProviderSpec]:
    specs, seen = [], set()
    for answer in pm.hook.vvs_register_providers():
        for spec in answer or []:
            if (spec.kind, spec.name) in seen:
                raise ConfigurationError(f"two plugins offer the {spec.kind} provider {spec.name!r}")
            seen.add((spec.kind, spec.name))
            specs.append(spec)
    return specs


def build_providers(settings, specs) -> dict:
    """kind → service instance for the provider the settings name."""
    services = {}
    by_kind: dict[str, dict[str, ProviderSpec]] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, {})[spec.name] = spec
    for kind, (setting, _iface) in KINDS.items():
        available = by_kind.get(kind, {})
        if setting is None:
            name = settings.get(f"vvs.{kind}.provider") or next(iter(available), None)
            if name is None:
                continue
        else:
            name = settings[setting]
        spec = available.get(name)
        if spec is None:
            names = ", ".join(sorted(available)) or "none"
            raise ConfigurationError(
                f"{setting} = {name!r} is not an installed {kind} provider; available: {names}"
            )
        for s in spec.settings:
            if s.required and not settings.get(s.name):
                raise ConfigurationError(
                    f"{kind} provider {name!r} needs {s.name} (or the environment variable {s.env_name})"
                )
        try:
            services[kind] = spec.factory(settings)
        except ConfigurationError:
            raise
        except Exception as exc:  # a provider's own check of its settings
            raise ConfigurationError(f"{kind} provider {name!r} could not start: {exc}") from exc
    return services


def includeme(config):
    specs = collect_provider_specs(config.registry.vvs_plugins)
    services = build_providers(config.registry.settings, specs)
    config.registry.vvs_providers = services
    for kind, service in services.items():
        iface = KINDS[kind][1]
        config.register_service(service, iface)
