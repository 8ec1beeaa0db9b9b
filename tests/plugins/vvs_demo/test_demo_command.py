"""``vvs demo`` is the vvs_demo plugin's command (``vvs_register_commands``): there where
the .ini enables the plugin, absent elsewhere; run as users run it, in a subprocess."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vvs_core.cli import CommandError, build_parser
from vvs_core.hooktypes import Command
from vvs_core.testing import TEST_SECRET

VVS = Path(sys.executable).parent / "vvs"


def run_vvs(*args, cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VVS_")}  # the .ini decides
    return subprocess.run([str(VVS), *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120)


def write_ini(folder: Path, plugins: str) -> Path:
    path = folder / "démo « Serris ».ini"
    path.write_text("\n".join([
        "[app:main]", "use = egg:vvs", f"vvs.plugins = vvs_dev_providers {plugins}",
        f"vvs.database_url = sqlite:///{folder / 'var' / 'vvs.sqlite'}", f"vvs.secret = {TEST_SECRET}",
        "vvs.secure_cookies = false", f"vvs.email.folder = {folder / 'mail'}"]) + "\n", encoding="utf-8")
    return path


def counts(database: Path) -> dict:
    with sqlite3.connect(database) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("users", "communes", "communities", "memberships", "community_events")}


def test_vvs_register_commands():
    from vvs_core.app import load_settings

    _settings, pm, *_ = load_settings({"vvs.plugins": "vvs_demo", "vvs.secret": TEST_SECRET})
    [command] = [c for answer in pm.hook.vvs_register_commands() for c in answer]
    assert command.name == "demo" and callable(command.run)
    args = build_parser([command]).parse_args(["demo", "production.ini"])
    assert args.ini == "production.ini" and callable(args.func)


def test_two_commands_of_one_name_are_refused():
    twice = [Command("merci", "count the thanks", lambda loaded, args: 0)] * 2
    with pytest.raises(CommandError, match="merci"):
        build_parser(twice)
    with pytest.raises(CommandError, match="plugins"):
        build_parser([Command("plugins", "a core command's name", lambda loaded, args: 0)])


def test_demo_twice_loads_once_and_prints_the_logins(tmp_path):
    ini = write_ini(tmp_path, "vvs_demo vvs_invitations")
    assert run_vvs("db", "upgrade", str(ini), cwd=tmp_path).returncode == 0
    first = run_vvs("demo", str(ini), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Demo commune loaded: Serris (77449)" in first.stdout and "resident@serris.demo" in first.stdout
    before = counts(tmp_path / "var" / "vvs.sqlite")
    assert before["communities"] == 5 and before["users"] >= 30
    with sqlite3.connect(tmp_path / "var" / "vvs.sqlite") as conn:  # the enabled plugin added its part
        assert conn.execute("SELECT count(*) FROM invitations").fetchone()[0] == 3
    second = run_vvs("demo", str(ini), cwd=tmp_path)
    assert second.returncode == 0 and "nothing changed" in second.stdout
    assert counts(tmp_path / "var" / "vvs.sqlite") == before


def test_without_the_plugin_there_is_no_demo_command(tmp_path):
    ini = write_ini(tmp_path, "vvs_alerts")
    result = run_vvs("demo", str(ini), cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice: 'demo'" in result.stderr
    assert "load the demo commune" not in run_vvs("--help", str(ini), cwd=tmp_path).stdout
    assert "load the demo commune" in run_vvs("--help", str(write_ini(tmp_path, "vvs_demo")), cwd=tmp_path).stdout


def test_a_broken_ini_is_one_line_for_a_plugin_command(tmp_path):
    ini = write_ini(tmp_path, "vvs_demo")
    ini.write_text(ini.read_text(encoding="utf-8").replace(TEST_SECRET, "court"), encoding="utf-8")
    result = run_vvs("demo", str(ini), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "vvs.secret" in result.stderr


def test_a_missing_ini_is_named_for_a_plugin_command(tmp_path):
    result = run_vvs("demo", "nulle-part.ini", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.strip() == (
        "vvs demo: nulle-part.ini: no such file (the .ini path comes after the command's name, "
        "development.ini by default)")
