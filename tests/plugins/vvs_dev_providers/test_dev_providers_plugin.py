"""The development providers are a plugin: enabled, `make run`'s .ini sends through them;
not enabled, a .ini left on the core's defaults (``vvs.sms.provider = console``,
``vvs.email.provider = folder``) stops `vvs check` and start-up with one line naming the
plugin to enable; the ``vvs.providers`` entry points that line reads say, for every
provider of every installed plugin, which plugin brings it."""
from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from vvs_core.app import load_settings
from vvs_core.errors import ConfigurationError
from vvs_core.plugins import installed_plugins
from vvs_core.providers import build_providers
from vvs_core.testing import TEST_SECRET

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from test_check_command import pserve  # noqa: E402
from test_cli import assert_one_line_error, run_vvs  # noqa: E402

ENABLE = "add it to vvs.plugins"


def test_every_provider_names_its_plugin_in_the_entry_points():
    declared = {(ep.name, ep.value) for ep in entry_points(group="vvs.providers")}
    offered = set()
    for name in installed_plugins():
        _s, pm, *_ = load_settings({"vvs.plugins": name, "vvs.secret": TEST_SECRET})
        module = pm.get_plugin(name)
        for spec in (module.vvs_register_providers() if hasattr(module, "vvs_register_providers") else []):
            offered.add((f"{spec.kind}.{spec.name}", name))
    assert offered == declared


def test_the_defaults_without_the_plugin_name_it_in_one_line():
    settings, _pm, _d, _n, specs = load_settings({"vvs.plugins": "vvs_alerts", "vvs.secret": TEST_SECRET})
    with pytest.raises(ConfigurationError) as raised:
        build_providers(settings, specs)
    line = str(raised.value)
    assert "\n" not in line
    assert line == ("vvs.sms.provider = 'console' is not an installed sms provider; available: none "
                    "(it comes with the plugin vvs_dev_providers: add it to vvs.plugins)")


def test_a_setting_of_the_disabled_plugin_names_it():
    raw = {"vvs.plugins": "vvs_alerts", "vvs.secret": TEST_SECRET, "vvs.email.folder": "var/mail"}
    with pytest.raises(ConfigurationError, match=f"vvs.email.folder .a setting of the plugin vvs_dev_providers: {ENABLE}"):
        load_settings(raw)
    raw = {"vvs.plugins": "vvs_alerts", "vvs.secret": TEST_SECRET, "vvs.sms.console.callback_token": "x" * 40}
    with pytest.raises(ConfigurationError, match="vvs.sms.console.callback_token .a setting of the plugin vvs_dev_"):
        load_settings(raw)


def test_enabled_they_are_what_the_defaults_choose(tmp_path):
    settings, _pm, _d, _n, specs = load_settings({"vvs.plugins": "vvs_dev_providers", "vvs.secret": TEST_SECRET,
                                                  "vvs.email.folder": str(tmp_path)})
    services = build_providers(settings, specs)
    assert (services["sms"].name, services["email"].name) == ("console", "folder")
    assert "push" not in services and "voice" not in services  # optional: chosen by name only


def test_check_and_pserve_say_which_plugin_to_enable(tmp_path):
    (tmp_path / "var").mkdir()
    ini = tmp_path / "sans-dev.ini"
    ini.write_text("\n".join(["[app:main]", "use = egg:vvs", "vvs.plugins = vvs_alerts",
                              f"vvs.database_url = sqlite:///{tmp_path / 'var' / 'vvs.sqlite'}",
                              f"vvs.secret = {TEST_SECRET}", "vvs.secure_cookies = false"]) + "\n", encoding="utf-8")
    checked = run_vvs("check", str(ini), cwd=tmp_path)
    assert_one_line_error(checked, "vvs.sms.provider = 'console'", "vvs_dev_providers", ENABLE)
    served = pserve(ini, {})
    assert served.returncode == 2 and "Traceback" not in served.stderr, served.stderr[-2000:]
    assert served.stderr.strip().splitlines()[-1] == f"vvs: {checked.stderr.strip().removeprefix('vvs check: ')}"
