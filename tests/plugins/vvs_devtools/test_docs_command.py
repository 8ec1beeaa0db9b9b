"""``vvs docs`` is the vvs_devtools plugin's command: it writes both generated pages
where the .ini enables the plugin (development.ini, the test suite) and does not exist
elsewhere (production.ini). Run as developers run it, in a subprocess."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "core"))
from test_cli import run_vvs, write_ini  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def test_docs_writes_both_pages_documenting_every_installed_plugin(tmp_path):
    ini = write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_devtools")
    out = tmp_path / "docs « générées »"
    result = run_vvs("docs", str(ini), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    configuration = (out / "configuration.md").read_text(encoding="utf-8")
    assert "`vvs.database_url`" in configuration
    assert "## Plugin `vvs_sms_ovh`" in configuration  # installed, not enabled by this .ini: documented
    assert "`vvs_menu_items`" in (out / "plugin-hooks.md").read_text(encoding="utf-8")


def test_the_pages_of_the_repository_are_those_it_writes(tmp_path):
    result = run_vvs("docs", str(ROOT / "development.ini"), "--out", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("configuration.md", "plugin-hooks.md"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_without_the_plugin_there_is_no_docs_command(tmp_path):
    ini = write_ini(tmp_path)  # vvs_dev_providers only, as production.ini leaves vvs_devtools out
    result = run_vvs("docs", str(ini), cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice: 'docs'" in result.stderr
    assert "regenerate docs/" not in run_vvs("--help", str(ini), cwd=tmp_path).stdout
    assert "vvs_devtools" not in (ROOT / "production.ini").read_text(encoding="utf-8")
