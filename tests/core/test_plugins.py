"""Plugin discovery, enablement, hook checks, and the rule that plugins never import each other."""
import ast
from pathlib import Path

import pluggy
import pytest

from vvs_core import plugins
from vvs_core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


class FakeEntryPoint:
    def __init__(self, name, module):
        self.name, self.module = name, module

    def load(self):
        return self.module


def test_unknown_plugin_name_lists_installed():
    installed = {"vvs_alerts": None, "vvs_gazette": None}
    with pytest.raises(ConfigurationError) as err:
        plugins.enabled_names(["vvs_alert"], installed)
    assert "vvs_alert" in str(err.value) and "vvs_alerts, vvs_gazette" in str(err.value)


def test_star_enables_every_installed_plugin():
    assert plugins.enabled_names(["*"], {"b": 1, "a": 2}) == ["a", "b"]


def test_misspelt_hook_implementation_is_caught():
    class Misspelt:
        @plugins.hookimpl
        def vvs_menu_itemz(self, request):
            return []

    with pytest.raises(ConfigurationError, match="unknown hook"):
        plugins.build_plugin_manager(["bad"], {"bad": FakeEntryPoint("bad", Misspelt())})


def test_manager_is_per_app_not_global():
    a = plugins.build_plugin_manager([], {})
    b = plugins.build_plugin_manager([], {})
    assert a is not b and isinstance(a, pluggy.PluginManager)


def test_unlisted_plugin_is_never_imported():
    class Exploding:
        name = "boom"

        def load(self):
            raise AssertionError("an unlisted plugin was imported")

    pm = plugins.build_plugin_manager([], {"boom": Exploding()})
    assert pm.get_plugin("boom") is None


def plugin_packages():
    return sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists())


def test_plugins_never_import_each_other():
    names = set(plugin_packages())
    offenders = []
    for package in names:
        for path in (ROOT / "plugins" / package).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                targets = []
                if isinstance(node, ast.Import):
                    targets = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    targets = [node.module.split(".")[0]]
                for target in targets:
                    if target in names and target != package:
                        offenders.append(f"{path.relative_to(ROOT)} imports {target}")
    assert offenders == []
