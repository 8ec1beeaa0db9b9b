"""`vvs check INI` validates every setting and starts every chosen provider without
serving; `pserve` stops on the same mistakes with the same one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import assert_one_line_error, run_vvs, write_ini

sys.path.insert(0, str(Path(__file__).parents[1] / "plugins" / "vvs_sms_ovh"))
from fake_ovh import APP_KEY, APP_SECRET, CONSUMER_KEY, SERVICE, FakeOVH  # noqa: E402

PSERVE = Path(sys.executable).parent / "pserve"
OVH = {"vvs__plugins": "vvs_dev_providers vvs_sms_ovh", "vvs__sms__provider": "ovh", "vvs__sms__ovh__application_key": "ak",
       "vvs__sms__ovh__service_name": "sms-ab12345-1"}
OVH_SECRETS = {"VVS_SMS_OVH_APPLICATION_SECRET": "as", "VVS_SMS_OVH_CONSUMER_KEY": "ck"}


def pserve(ini: Path, env: dict) -> subprocess.CompletedProcess:
    """pserve as development.ini runs it; a server that starts is a failure of the test
    (the timeout ends it: nothing here may start)."""
    with open(ini, "a", encoding="utf-8") as f:
        f.write("\n[server:main]\nuse = call:vvs_devtools.server:waitress_server\nhost = 127.0.0.1\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VVS_")}
    clean.update(env)
    return subprocess.run([str(PSERVE), str(ini), "http_port=6719"], cwd=ini.parent, env=clean,
                          capture_output=True, text=True, timeout=120)


def test_a_good_ini_is_ready_to_serve(tmp_path):
    """OVH's account read through the real client (its fake on 127.0.0.1): the provider's
    health is part of the check."""
    (tmp_path / "var").mkdir()
    fake = FakeOVH()
    try:
        ini = write_ini(tmp_path, **{**OVH, "vvs__sms__ovh__endpoint": fake.url,
                                     "vvs__sms__ovh__application_key": APP_KEY, "vvs__sms__ovh__service_name": SERVICE})
        result = run_vvs("check", str(ini), cwd=tmp_path,
                         env={"VVS_SMS_OVH_APPLICATION_SECRET": APP_SECRET, "VVS_SMS_OVH_CONSUMER_KEY": CONSUMER_KEY})
    finally:
        fake.close()
    assert result.returncode == 0, result.stderr
    assert "sms provider: ovh (started)" in result.stdout
    assert "email provider: folder (started)" in result.stdout
    assert "(reachable)" in result.stdout and result.stdout.rstrip().endswith("ready to serve")
    assert ("GET", f"/1.0/sms/{SERVICE}") in fake.requests


def test_an_unreachable_provider_stops_the_check_with_one_french_line(tmp_path):
    """OVH's API out of reach (here no network): one line that names the account."""
    (tmp_path / "var").mkdir()
    ini = write_ini(tmp_path, **{**OVH, "vvs__sms__ovh__endpoint": "http://127.0.0.1:9/1.0",
                                 "vvs__sms__ovh__timeout": "1"})
    result = run_vvs("check", str(ini), cwd=tmp_path, env=OVH_SECRETS)
    assert result.returncode == 2
    assert_one_line_error(result, "sms-ab12345-1", "ne répond pas")


BAD = [
    ("unknown setting", {"vvs__sms__ovh__sendr": "VOISINS"}, {}, ("vvs.sms.ovh.sendr", "vvs.sms.ovh.sender")),
    ("required provider key empty", {}, {"VVS_SMS_OVH_CONSUMER_KEY": ""}, ("vvs.sms.ovh.consumer_key",)),
    ("provider refuses its settings", {"vvs__sms__ovh__endpoint": "ovh-mars"}, {}, ("vvs.sms.ovh.endpoint",)),
    ("parser's reason kept", {"vvs__sms__ovh__timeout": "dix"}, {}, ("vvs.sms.ovh.timeout", "dix")),
    ("short callback token hidden", {}, {"VVS_SMS_OVH_CALLBACK_TOKEN": "court"}, ("at least 32",)),
    ("provider not installed", {"vvs__sms__provider": "pigeon"}, {}, ("pigeon", "available: console, null, ovh")),
]


@pytest.mark.parametrize("label, settings, env, fragments", BAD, ids=[b[0] for b in BAD])
def test_check_and_pserve_stop_with_the_same_line(tmp_path, label, settings, env, fragments):
    (tmp_path / "var").mkdir()
    ini = write_ini(tmp_path, **{**OVH, **settings})
    checked = run_vvs("check", str(ini), cwd=tmp_path, env={**OVH_SECRETS, **env})
    assert_one_line_error(checked, *fragments)
    assert "court" not in checked.stderr
    served = pserve(ini, {**OVH_SECRETS, **env})
    assert served.returncode == 2 and "Traceback" not in served.stderr, served.stderr[-2000:]
    line = checked.stderr.strip().removeprefix("vvs check: ")
    assert served.stderr.strip().splitlines()[-1] == f"vvs: {line}"


def test_settings_prints_then_refuses_a_required_provider_key_left_empty(tmp_path):
    ini = write_ini(tmp_path, **OVH)
    result = run_vvs("settings", str(ini), cwd=tmp_path, env={"VVS_SMS_OVH_APPLICATION_SECRET": "as"})
    assert_one_line_error(result, "vvs.sms.ovh.consumer_key", "VVS_SMS_OVH_CONSUMER_KEY")
    # The listing aligns its values on the longest name: read it as name and value.
    listed = dict(line.split(" = ", 1) for line in result.stdout.splitlines())
    listed = {name.strip(): value for name, value in listed.items()}
    assert "vvs.sms.ovh.consumer_key" in listed and listed["vvs.sms.ovh.application_secret"].startswith("***")


def test_check_says_when_the_database_is_unreachable(tmp_path):
    ini = write_ini(tmp_path, vvs__database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert_one_line_error(run_vvs("check", str(ini), cwd=tmp_path), "cannot use the database")
