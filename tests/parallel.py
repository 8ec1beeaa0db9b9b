"""The suite in several processes: pytest-xdist's workers (``make test`` runs ``pytest -n 2``;
``make test TEST_WORKERS=1`` runs it in one process, as plain ``pytest`` does).

Each worker has what a run alone has, so that no test sees another worker's data:
- its own PostgreSQL database, ``<database of VVS_TEST_DATABASE_URL>_<worker>`` (``vvs_test_gw0``,
  ``vvs_test_gw1``…), new with PostGIS, migrated as in a run alone, dropped at the end;
- its own Redis: a redis-server of its own on a free port (tests empty their Redis database,
  and the page cache, rate limits and queues live there: two workers must not share one);
- its own temporary folders (pytest's ``tmp_path`` is per worker) and ports (every server a
  test starts takes a free port). Compiled templates stay shared (``tests/conftest.py``:
  written to a temporary file then renamed, so two writers cannot mix).
Both reach the subprocesses (browser tests' server, ``vvs``, workers) through the
environment, as ``VVS_TEST_DATABASE_URL`` and ``VVS_TEST_REDIS_URL``.

The tests are handed out (``SuiteScheduling``) by file, except:
- ``tests/authz`` goes whole to one worker: its route-coverage gate, run last, reads what the
  other authorization tests of the same process requested;
- ``tests/e2e`` goes whole to one worker: one server and one Chromium per session, and the
  accessibility results (every page checked) written at its end;
- ``tests/reliability`` runs last, with no other test running: it loads every core on
  purpose and measures what workers do under that load.
These two groups are handed out first (the longest units: the other worker takes the files
meanwhile). Another ``--dist`` given on the command line (``loadfile``…) is used as given.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WHOLE = ("tests/authz/", "tests/e2e/")   # each to one worker, in one piece
ALONE = ("tests/reliability/",)           # last, with no other test running

_started: dict = {}


def pytest_configure(config):
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        _own_services(worker)


@pytest.hookimpl(trylast=True)  # after the session's fixtures; before xdist tells the controller this worker is done
def pytest_sessionfinish(session):
    if "redis" in _started:
        server = _started.pop("redis")
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    if "database" in _started:
        _drop_database(_started.pop("database"))


def _own_services(worker: str) -> None:
    from vvs_core.testing import fresh_database

    sys.path.insert(0, str(HERE / "reliability"))
    from services import RedisServer  # noqa: E402  (tests/reliability/services.py)

    if not RedisServer.available():
        raise pytest.UsageError("each worker needs its own redis-server (scripts/test-services.sh installs it), "
                                "or run the suite in one process: make test TEST_WORKERS=1")
    server = RedisServer(Path(tempfile.mkdtemp(prefix=f"vvs-test-redis-{worker}-"))).start()
    _started["redis"] = server
    os.environ["VVS_TEST_REDIS_URL"] = server.url
    url = os.environ.get("VVS_TEST_DATABASE_URL")
    if url:  # without it, the PostGIS variants skip (or fail with VVS_TEST_REQUIRE_POSTGIS) as in a run alone
        name = f"{url.rsplit('/', 1)[-1]}_{worker}"
        os.environ["VVS_TEST_DATABASE_URL"] = fresh_database(name)
        _started["database"] = os.environ["VVS_TEST_DATABASE_URL"]


def _drop_database(url: str) -> None:
    import psycopg

    base, _, name = url.replace("postgresql+psycopg://", "postgresql://", 1).rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "load":  # -n N alone
        return SuiteScheduling(config, log)
    return None


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist is not installed: the suite runs in one process
    LoadScopeScheduling = object


class SuiteScheduling(LoadScopeScheduling):
    """xdist's scheduling by scope (a unit of tests goes to one worker, in collection order),
    with the units above: a file, a whole folder (``WHOLE``), a folder alone (``ALONE``)."""

    def _split_scope(self, nodeid: str) -> str:
        for folder in WHOLE + ALONE:
            if nodeid.startswith(folder):
                return folder
        return nodeid.split("::", 1)[0]

    @staticmethod
    def _rank(scope: str) -> int:
        return 0 if scope in WHOLE else 2 if scope in ALONE else 1

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = list(next(iter(self.registered_collections.values())))
            units: dict = OrderedDict()
            for nodeid in self.collection:
                units.setdefault(self._split_scope(nodeid), OrderedDict())[nodeid] = False
            for scope in sorted(units, key=self._rank):  # stable: collection order within a rank
                self.workqueue[scope] = units[scope]
        for node in self.nodes:
            self._reschedule(node)

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) > 2:  # xdist's heuristic: more work when almost done
            return
        if self._rank(next(iter(self.workqueue))) == 2:
            others = [n for n in self.nodes if n is not node]
            if others:
                # Not alone yet: the idle workers stop (a worker runs its last test once told
                # that no other comes), and this one waits until they have gone.
                for other in others:
                    if not other.shutting_down and self._pending_of(self.assigned_work[other]) <= 1:
                        other.shutdown()
                return
        self._assign_work_unit(node)

    def remove_node(self, node):
        crashed = super().remove_node(node)
        for other in self.nodes:  # one may be waiting for this one to go
            self._reschedule(other)
        return crashed
