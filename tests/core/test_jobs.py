"""Leased jobs (vvs_core.jobs): written with the caller's transaction, run once under a
lease, sent again by the reaper when a killed worker held them or a broker lost their
message — on SQLite and on PostgreSQL, with the real stub broker of dramatiq.

Time is passed explicitly (``now=``) to the reaper and to ``claim`` instead of sleeping.
"""
from __future__ import annotations

from datetime import timedelta

import dramatiq
import dramatiq.broker
import pytest
import sqlalchemy as sa
from pyramid.config import Configurator

from vvs_core.jobs import tasks

if dramatiq.broker.global_broker is None:
    tasks.configure_broker({"vvs.broker_url": "inline"})

from vvs_core.clock import aware, utcnow  # noqa: E402
from vvs_core.jobs import actors as job_actors  # noqa: E402
from vvs_core.jobs.lease import claim, enqueue_job_after_commit, job_key, leased_actor, reap  # noqa: E402
from vvs_core.models import get_engine, get_session_factory  # noqa: E402
from vvs_core.models.job import Job  # noqa: E402
from vvs_core.plugins import build_plugin_manager  # noqa: E402
from vvs_core.settings import core_registry  # noqa: E402

from test_outbox import backend_url, engine_with, pg_url  # noqa: E402,F401  (pg_url: a fixture)

RUNS: list = []
FAIL: set = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    engine = engine_with(backend_url(request, tmp_path, "jobs"), [Job.__table__])
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def own_broker_then_the_suites_again():
    saved = dramatiq.broker.global_broker
    RUNS.clear()
    FAIL.clear()
    yield
    tasks.use_broker(saved)


def make_registry(engine, **overrides):
    raw = {"vvs.secret": "s" * 40, "vvs.broker_url": "inline", "vvs.jobs.lease": "60",
           "vvs.jobs.max_attempts": "3", **overrides}
    settings = core_registry().resolve(raw, environ={})
    broker = tasks.configure_broker(settings)
    config = Configurator(settings=settings)
    config.registry["dbsession_factory"] = get_session_factory(engine)
    config.registry.vvs_plugins = build_plugin_manager([], {})
    config.include("pyramid_services")  # no provider registered
    config.registry.vvs_periodic_tasks = []
    config.include("vvs_core.jobs.tasks")
    config.include("vvs_core.notify")
    config.include("vvs_core.jobs")
    config.commit()
    tasks.set_task_registry(config.registry)
    global fan_out_test
    fan_out_test = leased_actor(_fan_out_test, actor_name="fan_out_test")
    broker.declare_actor(fan_out_test) if fan_out_test.broker is not broker else None
    return config.registry


def _fan_out_test(thing_id: int, update_id: int = 0):
    RUNS.append((thing_id, update_id))
    if thing_id in FAIL:
        raise RuntimeError(f"panne simulée de l’envoi n° {thing_id} « é »")
    return thing_id


fan_out_test = None


@pytest.fixture
def registry(engine):
    return make_registry(engine)


def ask(registry, *args, commit=True):
    """What a view does: write something and ask for the job in the same transaction."""
    with tasks.task_request(registry) as request:
        enqueue_job_after_commit(request, fan_out_test, *args)
        if not commit:
            request.tm.abort()
            request.tm.begin()


def jobs(registry) -> list[Job]:
    with registry["dbsession_factory"]() as db:
        rows = list(db.scalars(sa.select(Job).order_by(Job.id)))
        db.expunge_all()
        return rows


def queued(actor=None, queue=None) -> list:
    broker = dramatiq.get_broker()
    names = [queue] if queue else [q for q in broker.queues if not q.endswith(".XQ")]
    messages = []
    for name in names:
        q = broker.queues.get(name)
        while q is not None and not q.empty():
            m = dramatiq.Message.decode(q.get_nowait())
            if actor is None or m.actor_name == actor:
                messages.append(m)
    return messages


def run(messages):
    """A worker runs these messages (the actor's function, as dramatiq would call it)."""
    for m in messages:
        fan_out_test.fn(*m.args)


def later(seconds):
    return utcnow() + timedelta(seconds=seconds)


def test_a_job_is_written_with_the_transaction_and_sent_after_commit(registry):
    ask(registry, 12, 0)
    [job] = jobs(registry)
    assert (job.key, job.actor, job.args, job.status, job.attempts) == \
        ("fan_out_test:[12,0]", "fan_out_test", [12, 0], "queued", 0)
    assert 55 <= (aware(job.lease_until) - aware(job.created_at)).total_seconds() <= 60
    [message] = queued("fan_out_test")
    assert message.args == (12, 0) and message.queue_name == "default"


def test_no_commit_no_job_and_no_message(registry):
    ask(registry, 13, 0, commit=False)
    assert jobs(registry) == [] and queued("fan_out_test") == []


def test_asking_twice_writes_one_job_and_duplicate_messages_run_it_once(registry):
    ask(registry, 14, 0)
    ask(registry, 14, 0)
    messages = queued("fan_out_test")
    assert len(jobs(registry)) == 1 and len(messages) == 2
    run(messages)
    assert RUNS == [(14, 0)]
    [job] = jobs(registry)
    assert job.status == "done" and job.attempts == 1 and job.finished_at is not None


def test_what_a_killed_worker_held_is_sent_again_once_its_lease_ran_out(registry):
    ask(registry, 15, 0)
    queued()  # the worker took the message…
    start = utcnow()  # the claim's own time: on a busy machine seconds pass before the reaper runs
    with registry["dbsession_factory"]() as db:  # …claimed the job, and was killed
        assert claim(db, job_key("fan_out_test", [15, 0]), "fan_out_test", [15, 0], start, 60, 3) == 1
        db.commit()
    assert reap(registry, now=start + timedelta(seconds=59)) == 0 and queued() == []
    assert reap(registry, now=later(61)) == 1
    [again] = queued()
    assert again.actor_name == "fan_out_test" and again.args == (15, 0)
    assert again.queue_name == tasks.RECOVERY_QUEUE  # not behind the backlog
    [job] = jobs(registry)
    assert job.status == "queued" and aware(job.lease_until) > later(100)
    # One message per lease: the next passes wait for the new lease to run out.
    assert reap(registry, now=later(62)) == 0 and queued() == []
    run([again])
    assert RUNS == [(15, 0)] and jobs(registry)[0].status == "done" and jobs(registry)[0].attempts == 2


def test_a_message_the_broker_lost_is_sent_again_after_the_lease(registry):
    ask(registry, 16, 0)
    queued()  # Redis restarted without persistence: the message is gone
    assert reap(registry, now=later(61)) == 1
    run(queued())
    assert RUNS == [(16, 0)] and jobs(registry)[0].status == "done"


def test_a_worker_with_a_live_lease_is_left_alone(registry):
    ask(registry, 17, 0)
    messages = queued()
    with registry["dbsession_factory"]() as db:
        claim(db, job_key("fan_out_test", [17, 0]), "fan_out_test", [17, 0], utcnow(), 60, 3)
        db.commit()
    run(messages)  # a duplicate delivery of the message while the first worker works
    assert RUNS == [] and jobs(registry)[0].status == "running"


def test_a_failing_job_comes_back_after_a_backoff_then_is_given_up(registry):
    FAIL.add(18)
    ask(registry, 18, 0)
    run(queued())
    [job] = jobs(registry)
    assert job.status == "queued" and job.attempts == 1 and "panne simulée de l’envoi n° 18 « é »" in job.last_error
    assert aware(job.lease_until) <= later(2)
    for attempt in (2, 3):
        assert reap(registry, now=later(61 * attempt)) == 1
        run(queued())
        assert jobs(registry)[0].attempts == attempt
    assert reap(registry, now=later(61 * 4)) == 1
    run(queued())
    [job] = jobs(registry)
    assert job.status == "failed" and RUNS == [(18, 0)] * 3
    assert reap(registry, now=later(61 * 5)) == 0


def test_a_message_without_a_job_row_runs_under_a_lease(registry):
    fan_out_test.send(19, 0)
    run(queued())
    assert RUNS == [(19, 0)]
    [job] = jobs(registry)
    assert job.key == "fan_out_test:[19,0]" and job.status == "done"


def test_done_jobs_are_forgotten_after_a_day_and_the_reaper_is_a_periodic_task(registry):
    ask(registry, 20, 0)
    run(queued())
    assert reap(registry, now=later(3600)) == 0 and len(jobs(registry)) == 1
    assert reap(registry, now=later(25 * 3600)) == 0 and jobs(registry) == []
    assert ("reap_jobs", job_actors.reap_jobs, 15) in registry.vvs_periodic_tasks
    assert job_actors.reap_jobs.queue_name == tasks.RECOVERY_QUEUE


def test_the_inline_worker_runs_a_job_and_the_reaper_once_its_lease_ran_out(engine):
    """End to end on the stub broker with a real dramatiq worker (the embedded default)."""
    registry = make_registry(engine, **{"vvs.jobs.lease": "1"})
    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        ask(registry, 21, 0)
        broker.join("default", timeout=10_000)
        worker.join()
        assert RUNS == [(21, 0)] and jobs(registry)[0].status == "done"
        with registry["dbsession_factory"]() as db:  # a job a killed worker held
            db.add(Job(key=job_key("fan_out_test", [22, 0]), actor="fan_out_test", args=[22, 0],
                       status="running", attempts=1, claimed_at=later(-5), lease_until=later(-1), last_error=""))
            db.commit()
        job_actors.reap_jobs.send()
        broker.join(tasks.RECOVERY_QUEUE, timeout=10_000)
        worker.join()
        assert RUNS == [(21, 0), (22, 0)]
        assert [j.status for j in jobs(registry)] == ["done", "done"]
    finally:
        worker.stop()


@pytest.fixture
def pg_engine(pg_url):  # noqa: F811
    engine = get_engine(pg_url)
    Job.__table__.drop(engine, checkfirst=True)
    Job.__table__.create(engine)
    yield engine
    engine.dispose()


def test_a_long_run_renews_its_lease_and_is_not_handed_out_twice(pg_engine):
    """A run longer than its lease (a loaded machine) keeps its job: the worker renews
    the lease while the function runs, the reaper leaves it alone. A killed worker
    renews nothing, so the lease still bounds how long its job waits. (PostgreSQL: on
    SQLite, one writer at a time, jobs run inline and the lease is not renewed.)"""
    from vvs_core.testing import wait_for

    from vvs_core.jobs.lease import run_leased

    registry = make_registry(pg_engine, **{"vvs.jobs.lease": "3"})
    key = job_key("slow_test", (7,))

    def lease_until():
        with registry["dbsession_factory"]() as db:
            return aware(db.scalar(sa.select(Job.lease_until).where(Job.key == key)))

    reaped = []

    def slow(thing_id):
        first = lease_until()  # until the keeper has renewed it (every second here)
        assert wait_for(lambda: lease_until() > first, timeout=20, interval=0.05), "the lease was never renewed"
        # The first lease has run out; the renewed one has not: nothing to reap.
        reaped.append(reap(registry, now=first + timedelta(seconds=0.5)))
        return thing_id

    assert run_leased("slow_test", (7,), slow, registry) == 7
    assert reaped == [0]
    [job] = jobs(registry)
    assert (job.status, job.attempts) == ("done", 1)
    assert queued(queue=tasks.RECOVERY_QUEUE) == []
