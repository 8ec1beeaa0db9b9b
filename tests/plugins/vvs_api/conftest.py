"""A live server for the API fuzzing test: the real app served by waitress in a
subprocess (tests/e2e/serve.py) on a fresh PostGIS database with the demo commune,
and a personal token of a demo référent."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from vvs_core.testing import free_port, wait_for
from vvs_demo.testing import demo_database, drop_database, drop_leftover_databases

SERVE = Path(__file__).parents[2] / "e2e" / "serve.py"


def start_server(db_url: str, env: dict | None = None) -> tuple[str, subprocess.Popen]:
    port = free_port()
    maildir = tempfile.mkdtemp(prefix="vvs-api-mail-")
    sms_log = os.path.join(maildir, "sms.log")
    proc = subprocess.Popen([sys.executable, str(SERVE), db_url, str(port), maildir, sms_log],
                            env={**os.environ, **(env or {})})
    def accepting() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the API test server exited at start-up")
            return False
    if not wait_for(accepting, timeout=60, interval=0.05):
        proc.kill()
        raise RuntimeError("the API test server did not start within 60 s")
    return f"http://127.0.0.1:{port}", proc


@pytest.fixture(scope="session")
def api_server():
    found = {}
    drop_leftover_databases("vvs_api_fuzz_")  # those of runs killed before their end
    db_url = demo_database(name := f"vvs_api_fuzz_{os.getpid()}",
                           prepare=lambda session: found.update(token=referent_token(session)))
    token = found["token"]
    # Fuzzing sends hundreds of requests a minute with one token: lift the API limit.
    url, proc = start_server(db_url, {"VVS_RATELIMIT_API": "100000/60"})
    url_with = type("ApiServer", (str,), {})(url)
    url_with.token, url_with.db_url = token, db_url
    yield url_with
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    drop_database(name)


def referent_token(session) -> str:
    from sqlalchemy import select

    from vvs_api.tokens import issue_api_token
    from vvs_core.models import Membership, User

    user = session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                          .where(Membership.status == "active", Membership.role == "referent")
                          .order_by(User.id).limit(1))
    return issue_api_token(session, user, "fuzzing")[1]
