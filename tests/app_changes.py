"""Changing one of the suite's shared applications for a test, and the check that every
test leaves them as they were built (a module of tests/, on the path of every test).

The applications of ``vvs_core.testing.app_on_session`` are built once per database and
settings and kept for the whole process: every later test of that configuration on the same
xdist worker gets the same registry. A provider swapped (``use_provider``), a setting
changed or a hook implementation registered and not undone changes what those tests see,
and which tests share a worker depends on the machine's load: a fresh clone then fails
where a developer's run passed. So:

- ``changed(registry, providers={"voice": caller}, settings={"vvs.x": "y"})`` is the one way
  to change them, for a ``with`` block (the ``change`` fixture of tests/conftest.py: for the
  rest of the test); what was there before comes back after, however the block ends;
- ``left_as_built()`` (an autouse fixture of tests/conftest.py, after every test) compares
  each shared application with what it was when built, fails the test that left it changed
  (naming what changed) and puts it back, so that the tests after it are not failed too.
"""
from __future__ import annotations

import contextlib

from vvs_core.providers import KINDS, provider_on

_MISSING = object()


@contextlib.contextmanager
def changed(registry, providers: dict | None = None, settings: dict | None = None):
    """``registry``'s ``providers`` (kind → service, None for none) and ``settings`` as given
    for the block; then what was there before (a setting that was absent is removed)."""
    from vvs_core.testing import use_provider

    providers, settings = providers or {}, settings or {}
    saved_providers = {kind: provider_on(registry, kind) for kind in providers}
    saved_settings = {key: registry.settings.get(key, _MISSING) for key in settings}
    try:
        for kind, service in providers.items():
            use_provider(registry, kind, service)
        registry.settings.update(settings)
        yield registry
    finally:
        for kind, service in saved_providers.items():
            use_provider(registry, kind, service)
        for key, value in saved_settings.items():
            if value is _MISSING:
                registry.settings.pop(key, None)
            else:
                registry.settings[key] = value


def _state(registry) -> dict:
    """What a test may change on a shared application and must give back."""
    return {"settings": dict(registry.settings),
            "providers": {kind: provider_on(registry, kind) for kind in KINDS},
            "plugins": {id(p): p for p in registry.vvs_plugins.get_plugins()}}


class _BuiltApps(dict):
    """``vvs_core.testing``'s applications, each with its state when it was built."""

    def __init__(self, apps):
        super().__init__(apps)
        self.as_built = {key: _state(wsgi.registry) for key, (wsgi, _broker) in apps.items()}

    def __setitem__(self, key, built):
        super().__setitem__(key, built)
        self.as_built[key] = _state(built[0].registry)


def watch_shared_apps() -> None:
    """Note the state of each shared application from now on, as it is built (imported
    once pytest has loaded ``vvs_core.testing``, which it rewrites for its asserts)."""
    from vvs_core import testing

    if not isinstance(testing._apps, _BuiltApps):
        testing._apps = _BuiltApps(testing._apps)


def left_as_built() -> list[str]:
    """What the tests so far left changed on the shared applications (put back as built)."""
    from vvs_core import testing
    from vvs_core.testing import use_provider

    found = []
    for key, built in testing._apps.as_built.items():
        registry = testing._apps[key][0].registry
        now = _state(registry)
        settings = {k for k in built["settings"].keys() | now["settings"].keys()
                    if built["settings"].get(k, _MISSING) != now["settings"].get(k, _MISSING)}
        providers = [kind for kind in KINDS if now["providers"][kind] is not built["providers"][kind]]
        added = [p for i, p in now["plugins"].items() if i not in built["plugins"]]
        removed = [p for i, p in built["plugins"].items() if i not in now["plugins"]]
        if not (settings or providers or added or removed):
            continue
        found.append(f"application {dict(key[1:]) or 'by default'} ({key[0].split(':')[0]}): "
                     + "; ".join(filter(None, (
                         settings and f"settings {sorted(settings)}",
                         providers and "providers " + ", ".join(
                             f"{kind}: {type(now['providers'][kind]).__name__} (built with "
                             f"{type(built['providers'][kind]).__name__})" for kind in providers),
                         added and f"hook implementations added {[type(p).__name__ for p in added]}",
                         removed and f"hook implementations removed {[type(p).__name__ for p in removed]}"))))
        registry.settings.clear()
        registry.settings.update(built["settings"])
        for kind in providers:
            use_provider(registry, kind, built["providers"][kind])
        for plugin in added:
            registry.vvs_plugins.unregister(plugin)
        for plugin in removed:
            registry.vvs_plugins.register(plugin)
    return found
