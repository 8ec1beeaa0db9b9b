"""`make run` as a user runs it, for the tests that serve the application that way
(``from make_run import make_run_server``)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from vvs_core.testing import free_port, wait_for


def make_run_server(root, folder, **env):
    """`make run` as a user runs it — development.ini, a SQLite file, the demo commune, the
    inline queue's threads, pserve and waitress — in ``folder``, on a free port, with
    ``VVS_*`` overrides from ``env`` (the environment wins over the .ini). A context
    manager yielding ``(base_url, log_path)``; the server is stopped on exit."""
    @contextlib.contextmanager
    def running():
        bin_dir = Path(sys.executable).parent
        environ = {k: v for k, v in os.environ.items() if not k.startswith("VVS_") and k != "PORT"}
        environ.update(VVS_DATABASE_URL=f"sqlite:///{folder}/vvs.sqlite", VVS_EMAIL_FOLDER=str(Path(folder) / "mail"),
                       **env)
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(bin_dir / "vvs"), *command, "development.ini"], cwd=root, env=environ, check=True,
                           capture_output=True, timeout=300)
        port = free_port()
        log_path = Path(folder) / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([str(bin_dir / "pserve"), "development.ini", f"http_port={port}"], cwd=root,
                                       env=environ, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://localhost:{port}"

        def up():
            try:
                return requests.get(base + "/health", timeout=2).status_code == 200
            except requests.RequestException:
                return process.poll() is not None and pytest.fail(log_path.read_text())

        try:
            assert wait_for(up, 120), "the server did not answer: " + log_path.read_text(errors="replace")[-3000:]
            yield base, log_path
        finally:
            process.terminate()
            process.wait(timeout=30)

    return running()
