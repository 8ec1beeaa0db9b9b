"""`make test` in two processes (tests/parallel.py): a small suite of the same folders run
with ``pytest -n 2``; each of its tests writes down where and when it ran, and what it saw."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import redis

pytest_plugins = ["pytester"]

TESTS = Path(__file__).parents[1]

RECORDING_TEST = '''
import json, os, time


def test_{name}():
    started = time.time()
    seen = {{"worker": os.environ.get("PYTEST_XDIST_WORKER"), "redis": os.environ.get("VVS_TEST_REDIS_URL"),
             "database": os.environ.get("VVS_TEST_DATABASE_URL")}}
    with open(os.path.join({folder!r}, "{path}-{name}.json"), "w") as fh:
        json.dump(dict(seen, test="{path}::{name}", started=started, ended=time.time()), fh)
'''


def run_small_suite(pytester, folder):
    pytester.makeini("[pytest]\n")  # the folder is the root: node ids start with tests/
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(TESTS)!r})\npytest_plugins = ['parallel']\n")
    files = {"tests/authz/test_a.py": 3, "tests/authz/test_route_coverage.py": 1, "tests/e2e/test_pages.py": 3,
             "tests/core/test_one.py": 2, "tests/core/test_two.py": 2, "tests/plugins/test_three.py": 2,
             "tests/reliability/test_kills.py": 2, "tests/local_time/test_four.py": 2}
    for path, count in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(RECORDING_TEST.format(name=f"t{i}", folder=str(folder), path=path.replace("/", "_"))
                                  for i in range(count)))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "-q", "tests")
    assert result.ret == 0, "\n".join(result.outlines[-30:])
    return [json.loads(p.read_text()) for p in folder.glob("*.json")]


def test_two_workers_share_nothing_and_keep_the_groups_together(pytester, tmp_path):
    runs = run_small_suite(pytester, tmp_path)
    assert len(runs) == 17
    workers = {r["worker"] for r in runs}
    assert workers == {"gw0", "gw1"}

    def where(folder):
        return {r["worker"] for r in runs if r["test"].startswith(f"tests_{folder}_")}

    assert len(where("authz")) == 1 and len(where("e2e")) == 1
    authz = sorted((r for r in runs if r["test"].startswith("tests_authz_")), key=lambda r: r["started"])
    assert authz[-1]["test"].startswith("tests_authz_test_route_coverage.py")  # the gate last
    assert len(where("reliability")) == 1
    others = [r for r in runs if not r["test"].startswith("tests_reliability_")]
    first_kill = min(r["started"] for r in runs if r["test"].startswith("tests_reliability_"))
    assert all(r["ended"] <= first_kill for r in others), "a test ran beside the reliability tests"

    # Each worker its own Redis (stopped at the end) and, with PostGIS, its own database (dropped).
    redis_urls = {w: {r["redis"] for r in runs if r["worker"] == w} for w in workers}
    assert all(len(urls) == 1 for urls in redis_urls.values())
    assert len(set.union(*redis_urls.values())) == 2
    for (url,) in redis_urls.values():
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    if os.environ.get("VVS_TEST_DATABASE_URL"):
        import psycopg

        base = os.environ["VVS_TEST_DATABASE_URL"].rsplit("/", 1)[-1]
        databases = {w: {r["database"] for r in runs if r["worker"] == w} for w in workers}
        assert {w: {u.rsplit("/", 1)[-1] for u in urls} for w, urls in databases.items()} == {
            "gw0": {f"{base}_gw0"}, "gw1": {f"{base}_gw1"}}
        admin = os.environ["VVS_TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(admin.rsplit("/", 1)[0] + "/postgres") as conn:
            left = conn.execute("SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                                (f"{base}_gw0", f"{base}_gw1")).fetchall()
        assert left == []


# --- The scheduling alone, step by step --------------------------------------------

class Node:
    """A worker as the scheduler sees it (xdist's WorkerController): it runs the tests it
    was sent in order, but keeps the last one until it hears of the next or of its shutdown."""

    def __init__(self, name):
        self.gateway = type("Gateway", (), {"id": name})()
        self.sent, self.ran, self.shutting_down = [], 0, False

    def send_runtest_some(self, indices):
        self.sent.extend(indices)

    def shutdown(self):
        self.shutting_down = True


def simulate(pytester, collection, workers=2):
    """Runs the scheduler with workers taking turns, one test each: [(worker, test, workers alive)]."""
    from parallel import SuiteScheduling

    scheduler = SuiteScheduling(pytester.parseconfig(f"--tx={workers}*popen"))
    nodes = [Node(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    timeline, alive = [], list(nodes)
    while alive:
        moved = False
        for node in list(alive):
            waiting = node.sent[node.ran:]
            if len(waiting) >= 2 or (node.shutting_down and waiting):
                node.ran += 1
                timeline.append((node.gateway.id, collection[waiting[0]], {n.gateway.id for n in alive}))
                scheduler.mark_test_complete(node, waiting[0])
                moved = True
            elif node.shutting_down:
                alive.remove(node)
                scheduler.remove_node(node)
                moved = True
        assert moved, f"every worker waits, after: {timeline[-6:]}"
    assert scheduler.tests_finished
    return timeline


def collection_of(files):
    return [f"{path}::t{i}" for path, count in files.items() for i in range(count)]


@pytest.mark.parametrize("files", [
    {"tests/authz/test_a.py": 5, "tests/authz/test_route_coverage.py": 2, "tests/core/test_long.py": 40,
     "tests/core/test_short.py": 1, "tests/e2e/test_pages.py": 6, "tests/reliability/test_kills.py": 3},
    {"tests/core/test_short.py": 1, "tests/reliability/test_kills.py": 3, "tests/reliability/test_restarts.py": 2},
    {"tests/reliability/test_kills.py": 3},
    {"tests/core/test_one.py": 2, "tests/core/test_two.py": 50, "tests/plugins/test_three.py": 1,
     "tests/reliability/test_kills.py": 2},
], ids=["every-kind", "short-then-reliability", "reliability-only", "a-long-file-last"])
def test_the_scheduler_runs_each_test_once_groups_whole_and_reliability_alone(pytester, files):
    collection = collection_of(files)
    timeline = simulate(pytester, collection)
    assert sorted(test for _w, test, _a in timeline) == sorted(collection)
    for folder in ("tests/authz/", "tests/e2e/", "tests/reliability/"):
        assert len({w for w, test, _a in timeline if test.startswith(folder)}) <= 1, folder
    for worker, test, alive in timeline:
        if test.startswith("tests/reliability/"):
            assert alive == {worker}, f"{test} ran beside {alive - {worker}}"
    ran_in_order = [test for _w, test, _a in timeline if test.startswith("tests/authz/")]
    assert ran_in_order == [t for t in collection if t.startswith("tests/authz/")]
