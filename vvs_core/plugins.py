"""Plugin discovery (entry points ``vvs``), enablement (``vvs.plugins``) and the manager.

One ``pluggy.PluginManager`` per application, stored as ``registry.vvs_plugins``.
An installed plugin that the .ini does not list is never imported.
"""

from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .errors import ConfigurationError

PROJECT = "vvs"
hookimpl = pluggy.HookimplMarker(PROJECT)
hookspec = pluggy.HookspecMarker(PROJECT)  # for plugins declaring their own hooks (vvs_addhooks)


def installed_plugins() -> dict[str, object]:
    """Name → entry point, for every distribution declaring a ``vvs`` entry point."""
    return {ep.name: ep for ep in entry_points(group=PROJECT)}


def plugins_bringing(key: str) -> list[str]:
    """The installed plugins that bring the provider ``key`` ("sms.console"), or whose
    provider a setting under it belongs to ("sms.console.callback_token"), as their
    ``vvs.providers`` entry points say, read without importing them (setup.cfg): what a
    .ini that names them must enable."""
    return sorted({ep.value for ep in entry_points(group=f"{PROJECT}.providers")
                   if key == ep.name or key.startswith(ep.name + ".")})


def enabled_names(setting, installed: dict) -> list[str]:
    names = setting if isinstance(setting, list) else str(setting or "").split()
    if names == ["*"]:
        return sorted(installed)
    unknown = [n for n in names if n not in installed]
    if unknown:
        listing = ", ".join(sorted(installed)) or "none"
        raise ConfigurationError(f"vvs.plugins names {unknown[0]!r}, which is not installed; "
                                 f"installed plugins: {listing}")
    return names


def build_plugin_manager(plugin_names: list[str], installed: dict | None = None) -> pluggy.PluginManager:
    """Create the manager with the core defaults and the named plugins registered."""
    installed = installed_plugins() if installed is None else installed
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    from . import defaults

    pm.register(defaults, name="vvs_core.defaults")
    from vvs_core.communities import journey_menu

    pm.register(journey_menu, name="vvs_core.communities.journey_menu")
    for name in plugin_names:
        try:
            module = installed[name].load()
        except ImportError as exc:
            raise ConfigurationError(f"plugin {name} cannot be imported: {exc}") from exc
        pm.register(module, name=name)
    # Hooks that only plugins call are declared by the plugin that calls them.
    pm.hook.vvs_addhooks.call_historic(kwargs={"pluginmanager": pm})
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigurationError(f"a plugin implements an unknown hook: {exc}") from exc
    return pm


def plugin_module_name(pm, name) -> str:
    return pm.get_plugin(name).__name__


def hooks_implemented(pm, name) -> list[str]:
    plugin = pm.get_plugin(name)
    return sorted(h.name for h in pm.get_hookcallers(plugin) or [])


def collect_declared(pm, hook: str, cls: type, what: str, key: str = "key", again: bool = False) -> dict:
    """What the core and the enabled plugins declare through the start-up registry ``hook``, by
    ``key``, the core's first: anything but a ``cls`` with a French label, or a second declaration
    of one key (unless ``again``: the first stays), stops start-up."""
    found: dict = {}
    for answer in reversed(getattr(pm.hook, hook)()):  # pluggy calls the last registered first
        for item in answer or []:
            if not isinstance(item, cls) or not item.label:
                raise ConfigurationError(f"{hook} returned {item!r}: not a {cls.__name__} with a French label")
            if getattr(item, key) in found and not again:
                raise ConfigurationError(f"two plugins declare the {what} {getattr(item, key)!r}")
            found.setdefault(getattr(item, key), item)
    return found
