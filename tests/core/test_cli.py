"""The `vvs` command line, run as users run it: the installed console script in a subprocess."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vvs_core.testing import TEST_SECRET

VVS = Path(sys.executable).parent / "vvs"
ROOT = Path(__file__).resolve().parents[2]


def run_vvs(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    # Settings from the caller's environment would override the test .ini.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VVS_")}
    clean.update(env or {})
    return subprocess.run([str(VVS), *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120)


def write_ini(folder: Path, name: str = "test.ini", **settings) -> Path:
    values = {
        "vvs.plugins": "vvs_dev_providers",  # the default SMS and e-mail providers
        "vvs.database_url": f"sqlite:///{folder / 'var' / 'vvs.sqlite'}",
        "vvs.secret": TEST_SECRET,
        "vvs.secure_cookies": "false",
        "vvs.email.folder": str(folder / "mail"),
    }
    values.update({key.replace("__", "."): value for key, value in settings.items()})
    lines = ["[app:main]", "use = egg:vvs"] + [f"{key} = {value}" for key, value in values.items()]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def table_counts(database: Path) -> dict:
    with sqlite3.connect(database) as conn:
        tables = ("users", "communes", "communities", "memberships", "community_events")
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


# --- Clear messages, never a traceback -----------------------------------------

def test_wrong_ini_path_gives_one_line(tmp_path):
    result = run_vvs("plugins", "nowhere.ini", cwd=tmp_path)
    assert_one_line_error(result, "nowhere.ini", "no such file")


def test_default_ini_is_development_ini(tmp_path):
    result = run_vvs("settings", cwd=tmp_path)
    assert_one_line_error(result, "development.ini")


def test_missing_app_section_gives_one_line(tmp_path):
    ini = tmp_path / "server-only.ini"
    ini.write_text("[server:main]\nuse = egg:waitress#main\n")
    assert_one_line_error(run_vvs("db", "upgrade", str(ini), cwd=tmp_path), "[app:main]")


def test_unknown_setting_is_named(tmp_path):
    ini = write_ini(tmp_path, vvs__foo="1")
    assert_one_line_error(run_vvs("settings", str(ini), cwd=tmp_path), "vvs.foo")


def test_misspelt_setting_suggests_the_right_one(tmp_path):
    ini = write_ini(tmp_path, vvs__broker_ulr="inline")
    assert_one_line_error(run_vvs("settings", str(ini), cwd=tmp_path), "vvs.broker_ulr", "vvs.broker_url")


def test_unknown_plugin_lists_installed_plugins(tmp_path):
    ini = write_ini(tmp_path, vvs__plugins="vvs_nope")
    assert_one_line_error(run_vvs("plugins", str(ini), cwd=tmp_path), "vvs_nope", "vvs_hello")


def test_missing_secret_names_the_environment_variable(tmp_path):
    ini = write_ini(tmp_path, vvs__secret="")
    assert_one_line_error(run_vvs("settings", str(ini), cwd=tmp_path), "vvs.secret", "VVS_SECRET")


def test_unreachable_database_gives_one_line(tmp_path):
    ini = write_ini(tmp_path, vvs__database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    assert_one_line_error(run_vvs("db", "upgrade", str(ini), cwd=tmp_path), "database")


def test_database_without_tables_says_to_upgrade(tmp_path):
    ini = write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_demo")  # `vvs demo` is that plugin's command
    (tmp_path / "var").mkdir()
    assert_one_line_error(run_vvs("demo", str(ini), cwd=tmp_path), "vvs db upgrade")


def test_worker_refuses_the_inline_broker(tmp_path):
    ini = write_ini(tmp_path, vvs__broker_url="inline")
    assert_one_line_error(run_vvs("worker", str(ini), cwd=tmp_path), "inline")


def test_scheduler_refuses_the_inline_broker(tmp_path):
    ini = write_ini(tmp_path, vvs__broker_url="inline")
    assert_one_line_error(run_vvs("scheduler", str(ini), cwd=tmp_path), "inline")


# --- Commands -----------------------------------------------------------------

def test_plugins_lists_vvs_hello_enabled_with_its_hooks(tmp_path):
    result = run_vvs("plugins", str(write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_hello")), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("vvs_hello "))
    assert "enabled" in line and "vvs_menu_items" in line


def test_plugins_lists_a_disabled_plugin_without_importing_it(tmp_path):
    result = run_vvs("plugins", str(write_ini(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("vvs_hello "))
    assert "disabled" in line and "not imported" in line


def test_db_upgrade_then_demo_twice_is_idempotent(tmp_path):
    ini = write_ini(tmp_path, vvs__plugins="vvs_dev_providers vvs_demo")
    upgrade = run_vvs("db", "upgrade", str(ini), cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    first = run_vvs("demo", str(ini), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "resident@serris.demo" in first.stdout and "admin@serris.demo" in first.stdout
    counts = table_counts(tmp_path / "var" / "vvs.sqlite")
    assert counts["communities"] == 5 and counts["users"] >= 30
    second = run_vvs("demo", str(ini), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    assert "resident@serris.demo" in second.stdout
    assert table_counts(tmp_path / "var" / "vvs.sqlite") == counts
    again = run_vvs("db", "upgrade", str(ini), cwd=tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.fixture(scope="module")
def migrated_ini(tmp_path_factory):
    """One migrated database for the `user create` tests (each uses its own e-mails)."""
    folder = tmp_path_factory.mktemp("users")
    ini = write_ini(folder)
    result = run_vvs("db", "upgrade", str(ini), cwd=folder)
    assert result.returncode == 0, result.stderr
    return ini


def user_row(ini: Path, email):
    with sqlite3.connect(ini.parent / "var" / "vvs.sqlite") as conn:
        return conn.execute("SELECT first_name, is_admin, is_moderator, password_hash FROM users WHERE email = ?",
                            (email,)).fetchone()


def test_user_create_with_a_role(tmp_path, migrated_ini):
    result = run_vvs("user", "create", str(migrated_ini), "--email", "Maire@Example.test", "--first-name", "Anne",
                     "--last-name", "Leroy", "--role", "admin",
                     cwd=tmp_path, env={"VVS_NEW_PASSWORD": "une phrase assez longue"})
    assert result.returncode == 0, result.stderr
    first_name, is_admin, is_moderator, password_hash = user_row(migrated_ini, "maire@example.test")
    assert (first_name, bool(is_admin), bool(is_moderator)) == ("Anne", True, False)
    assert password_hash.startswith("$argon2")
    assert "une phrase" not in result.stdout + result.stderr


def test_user_create_refuses_a_duplicate_and_a_weak_password(tmp_path, migrated_ini):
    args = ("user", "create", str(migrated_ini), "--email", "modo@example.test", "--first-name", "Paul",
            "--last-name", "Henry", "--role", "moderator")
    assert run_vvs(*args, "--password", "une phrase assez longue", cwd=tmp_path).returncode == 0
    assert_one_line_error(run_vvs(*args, "--password", "une phrase assez longue", cwd=tmp_path), "already exists")
    weak = run_vvs("user", "create", str(migrated_ini), "--email", "autre@example.test", "--first-name", "Zoé",
                   "--last-name", "Petit", "--password", "court", cwd=tmp_path)
    assert_one_line_error(weak, "password")
    assert user_row(migrated_ini, "autre@example.test") is None
    incomplete = run_vvs("user", "create", str(migrated_ini), "--email", "maire@serris", "--first-name", "Anne",
                         "--last-name", "Leroy", "--password", "une phrase assez longue", cwd=tmp_path)
    assert_one_line_error(incomplete, "il manque la fin")  # the one rule of vvs_core.web.forms.email_problem
    assert user_row(migrated_ini, "maire@serris") is None
    # an address the login form refuses would be a first admin who can never sign in
    accented = run_vvs("user", "create", str(migrated_ini), "--email", "Hélène.Œuvre@Exemple.fr", "--first-name",
                       "Hélène", "--last-name", "Œuvre", "--password", "une phrase assez longue", cwd=tmp_path)
    assert_one_line_error(accented, "ni accent ni espace")
    asked = run_vvs("user", "create", str(migrated_ini), "--email", "Hélène.Œuvre@Exemple.fr", "--first-name",
                    "Hélène", "--last-name", "Œuvre", cwd=tmp_path)
    assert_one_line_error(asked, "ni accent ni espace")  # told before being asked a password twice
    assert user_row(migrated_ini, "hélène.œuvre@exemple.fr") is None


def test_user_create_without_a_password_and_without_a_terminal(tmp_path, migrated_ini):
    result = run_vvs("user", "create", str(migrated_ini), "--email", "x@example.test", "--first-name", "X",
                     "--last-name", "Y", cwd=tmp_path)
    assert_one_line_error(result, "VVS_NEW_PASSWORD")


def test_settings_masks_secrets(tmp_path):
    ini = write_ini(tmp_path)
    result = run_vvs("settings", str(ini), cwd=tmp_path,
                     env={"VVS_BROKER_URL": "redis://:motdepasse@127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stderr
    assert TEST_SECRET not in result.stdout and "motdepasse" not in result.stdout
    assert "vvs.secret" in result.stdout and "***" in result.stdout
    assert "redis://:***@127.0.0.1:6379/0 (from the environment)" in result.stdout


def test_no_command_shows_usage(tmp_path):
    result = run_vvs(cwd=tmp_path)
    assert result.returncode == 2 and "usage: vvs" in result.stderr


# --- The shipped .ini files -----------------------------------------------------


@pytest.mark.parametrize("name", ["development.ini", "production.ini"])
def test_shipped_ini_files_use_only_declared_settings(name):
    # production.ini holds no secret nor account key: the environment gives them, as in production.
    env = {"VVS_SECRET": TEST_SECRET, "VVS_SMS_OVH_APPLICATION_KEY": "ak", "VVS_SMS_OVH_APPLICATION_SECRET": "as",
           "VVS_SMS_OVH_CONSUMER_KEY": "ck"}
    result = run_vvs("settings", name, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert "vvs.plugins" in result.stdout
