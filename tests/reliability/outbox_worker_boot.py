"""Boot module of the dramatiq worker that ``test_outbox_worker_kill.py`` starts and kills::

    python -m dramatiq outbox_worker_boot --path tests/reliability --processes 1 --threads 4

Everything comes from the environment: the ``VVS_*`` settings (VVS_DATABASE_URL,
VVS_BROKER_URL, VVS_OUTBOX_*, VVS_SECRET) and FAKE_SMS_LATENCY. It builds what the
delivery actors need — settings, broker, a registry with ``dbsession_factory`` and
the providers as services — includes ``vvs_core.notify`` (which declares the actors and the
sweeper) and runs the periodic sweeper in this process, as a production worker's
scheduler would.
"""
from __future__ import annotations

import os
import threading
import time

import psycopg
from pyramid.config import Configurator

from vvs_core.jobs import tasks
from vvs_core.interfaces import SendResult
from vvs_core.models import get_engine, get_session_factory
from vvs_core.plugins import build_plugin_manager
from vvs_core.providers import register_providers
from vvs_core.settings import core_registry


def plain_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


class RecordingSMSSender:
    """Stands in for a remote SMS API. What it accepts is committed at once to the
    tables the test creates (``fake_sms_accepted``: one row per key, counting sends),
    as a real provider keeps what it accepted whatever happens to us. Half of its
    latency comes after acceptance: a worker killed then has sent SMS it has not
    recorded, the window ``already_sent`` exists for."""

    name = "recording"

    def __init__(self, dsn: str, latency: float):
        self.dsn = dsn
        self.latency = latency
        self.local = threading.local()

    def _cursor(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = psycopg.connect(self.dsn, autocommit=True)
        return self.local.conn.cursor()

    def send_batch(self, messages):
        time.sleep(self.latency / 2)
        with self._cursor() as cur:
            cur.executemany(
                "INSERT INTO fake_sms_accepted (key, ref, sends) VALUES (%s, %s, 1) "
                "ON CONFLICT (key) DO UPDATE SET sends = fake_sms_accepted.sends + 1",
                [(m.key, f"rec-{m.key}") for m in messages])
        time.sleep(self.latency / 2)
        return [SendResult(m.key, ok=True, provider_ref=f"rec-{m.key}") for m in messages]

    def already_sent(self, keys):
        with self._cursor() as cur:
            cur.execute("SELECT key, ref FROM fake_sms_accepted WHERE key = ANY(%s)", (list(keys),))
            found = dict(cur.fetchall())
            cur.execute("INSERT INTO fake_sms_lookups (asked, found) VALUES (%s, %s)", (len(keys), len(found)))
        return found


def build_worker_registry():
    settings = core_registry().resolve({})
    tasks.configure_broker(settings)  # before vvs_core.notify declares its actors
    config = Configurator(settings=settings)
    config.registry["dbsession_factory"] = get_session_factory(get_engine(settings["vvs.database_url"]))
    config.registry.vvs_plugins = build_plugin_manager([], {})
    config.include("pyramid_services")
    register_providers(config, {"sms": RecordingSMSSender(
        plain_dsn(settings["vvs.database_url"]), float(os.environ.get("FAKE_SMS_LATENCY", "0.2")))})
    config.registry.vvs_periodic_tasks = []
    config.include("vvs_core.jobs.tasks")
    config.include("vvs_core.notify")
    config.commit()
    tasks.set_task_registry(config.registry)
    return config.registry


registry = build_worker_registry()
tasks.PeriodicScheduler(registry.vvs_periodic_tasks, tick=0.2).start()
