"""The dramatiq broker from settings, actors with a request, and periodic tasks.

The broker is set in ``configure_broker`` before any module defining actors is
imported (``dramatiq.get_broker()`` would otherwise invent a RabbitMQ broker).
Messages are sent after commit (``enqueue_after_commit``). Actors run with a real
request and their own transaction (``task_request``).
"""

import logging
import threading
import time
from contextlib import contextmanager

import dramatiq
import transaction
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)

_state = {"registry": None, "broker_url": None, "broker": None, "inline_worker": None}


def configure_broker(settings) -> dramatiq.Broker:
    url = settings.get("vvs.broker_url", "inline")
    # Reuse the broker made for this URL only while it is still the global one (tests
    # and tools may have set another since).
    if url != "inline" and _state["broker_url"] == url and dramatiq.broker.global_broker is _state["broker"]:
        return _state["broker"]
    if url.startswith("redis://") or url.startswith("rediss://"):
        from dramatiq.brokers.redis import RedisBroker

        # heartbeat_timeout bounds how long a killed worker's messages stay stuck, once a
        # maintenance pass runs: by default 1 command in 1,000 triggers one, which on idle
        # workers can mean minutes (an alert's fan-out message then waited > 150 s in the
        # reliability test); 1 in 20 runs it within seconds. The outbox sweeper bounds it
        # further for notifications.
        broker = RedisBroker(url=url, heartbeat_timeout=30000, maintenance_chance=50000)
    elif url.startswith("amqp://"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    elif url == "inline":
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        from vvs_core.errors import ConfigurationError

        raise ConfigurationError(f"vvs.broker_url = {url!r}: use inline, redis://… or amqp://…")
    dramatiq.set_broker(broker)
    _state["broker_url"] = url
    _state["broker"] = broker
    return broker


def set_task_registry(registry) -> None:
    """The registry actors use to build their request (one app per process)."""
    _state["registry"] = registry


def task_registry():
    if _state["registry"] is None:
        raise RuntimeError("no vvs application is loaded in this process")
    return _state["registry"]


@contextmanager
def task_request(registry=None):
    """A request with its own transaction manager and dbsession, committed at the end."""
    from pyramid.scripting import prepare

    from vvs_core.models import get_tm_session

    registry = registry or task_registry()
    env = prepare(registry=registry)
    request = env["request"]
    tm = transaction.TransactionManager(explicit=True)
    request.tm = tm
    request.dbsession = get_tm_session(registry["dbsession_factory"], tm, request=request, writer=True)
    try:
        with tm:
            yield request
    finally:
        env["closer"]()


# Where what a dead worker held or a lost message comes back (the outbox's ``redeliver``,
# the reapers): a queue of its own, so that it does not wait behind the backlog. Workers
# consume it unless --queues says otherwise.
RECOVERY_QUEUE = "outbox_recovery"


def follow_current_broker(*actors) -> None:
    """Bind ``actors`` to the broker configured last (a process may build several apps: tests, commands)."""
    broker = dramatiq.get_broker()
    for actor in actors:
        if actor.broker is not broker:
            actor.broker = broker
            broker.declare_actor(actor)


def use_broker(broker) -> None:
    """Make ``broker`` (an app's, built earlier: tests; ``None``: none yet) global with every actor declared on it."""
    dramatiq.set_broker(broker)
    for actor in broker.actors.values() if broker is not None else ():
        actor.broker = broker


def enqueue_after_commit(request, actor, *args, **kwargs) -> None:
    """Send ``actor(*args)`` once the request's transaction has committed."""
    send_after_commit(request, [actor.message(*args, **kwargs)], actor.broker)


def send_after_commit(request, messages, broker=None) -> None:
    """Enqueue these dramatiq messages once the request's transaction has committed. A
    message that cannot be sent is logged: the outbox's sweeper and the jobs' reaper find
    what it was for in the database."""
    if not messages:
        return
    broker = broker or dramatiq.get_broker()

    def send(committed):
        if not committed:
            return
        for message in messages:
            try:
                broker.enqueue(message)
            except Exception:
                log.exception("could not enqueue %s after commit", message.actor_name)

    request.tm.get().addAfterCommitHook(send)


# --- Periodic tasks -----------------------------------------------------------

def add_periodic_task(config, actor, seconds: int, name: str | None = None):
    """Config directive: run ``actor`` (no arguments) every ``seconds``."""
    config.registry.vvs_periodic_tasks.append((name or actor.actor_name, actor, int(seconds)))


def includeme(config):
    config.add_directive("add_periodic_task", add_periodic_task)


class PeriodicScheduler(threading.Thread):
    """Enqueues each periodic actor at its interval. Actors are idempotent, so two
    schedulers on two machines only cost duplicate work, never duplicate effects."""

    def __init__(self, tasks, tick=1.0):
        super().__init__(name="vvs-scheduler", daemon=True)
        self.tasks = tasks
        self.tick = tick
        self.stopping = threading.Event()

    def run(self):
        next_run = {name: time.monotonic() + 1 for name, _a, _s in self.tasks}
        while not self.stopping.wait(self.tick):
            now = time.monotonic()
            for name, actor, seconds in self.tasks:
                if now >= next_run[name]:
                    next_run[name] = now + seconds
                    try:
                        actor.send()
                    except Exception:
                        log.exception("periodic task %s could not be enqueued", name)

    def stop(self):
        self.stopping.set()


def start_inline_worker(registry, threads: int = 2):
    """Development: consume the StubBroker in threads of this process."""
    if _state["inline_worker"] is not None:
        return _state["inline_worker"]
    from dramatiq import Worker

    broker = dramatiq.get_broker()
    worker = Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    scheduler = PeriodicScheduler(registry.vvs_periodic_tasks)
    scheduler.start()
    _state["inline_worker"] = (worker, scheduler)
    return worker, scheduler
