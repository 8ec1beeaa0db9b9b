"""The browser tests' and the API fuzzing's demo databases (``vvs_e2e_<pid>``) are dropped
at the end of their session, and those a killed run left are dropped by the next one:
only when their process is gone, never a run's still going (another worktree's)."""
import os
import subprocess
import sys

import psycopg
import pytest

from vvs_core.testing import fresh_database
from vvs_demo.testing import _admin_url, drop_database, drop_leftover_databases

PREFIX = "vvs_leftover_test_"


def databases() -> set[str]:
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        return {n for (n,) in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (PREFIX,))}


@pytest.fixture
def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # reaped: no process has it (until the system gives it again, far later)


def test_only_the_databases_of_dead_runs_are_dropped(dead_pid):
    alive, dead, other = f"{PREFIX}{os.getpid()}", f"{PREFIX}{dead_pid}", f"{PREFIX}{dead_pid}_copie"
    for name in (alive, dead, other):
        fresh_database(name)
    try:
        assert drop_leftover_databases(PREFIX) == [dead]
        assert databases() == {alive, other}
    finally:
        for name in (alive, dead, other):
            drop_database(name)
    assert databases() == set()
