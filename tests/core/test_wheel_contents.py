"""What `pip install /path/to/vvs` (docs/install.md, « On one production machine ») installs:
the templates, static files, translations and every migration, not the Python modules alone.
The wheel held only the packages' modules: `vvs check` stopped on « vvs_core/locale is not a
directory » and `vvs db upgrade` on « Path doesn't exist: …/vvs_core/migrations »."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def installed_path(tracked: str) -> str:
    """Where a file of the repository lands in the wheel: plugins/vvs_x/… installs as vvs_x/…"""
    return tracked.removeprefix("plugins/")


@pytest.mark.slow
def test_the_wheel_holds_every_file_the_application_reads(tmp_path):
    tracked = subprocess.run(["git", "ls-files", "vvs_core", "plugins"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    wanted = {installed_path(f) for f in tracked if not f.endswith(".py") or "/migrations/" in f}
    assert any(f.endswith(".pt") for f in wanted) and any("/migrations/versions/" in f for f in wanted)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel, = tmp_path.glob("vvs-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(wanted - in_wheel)
    assert missing == [], f"{len(missing)} files left out of the wheel, e.g. {missing[:5]}"
