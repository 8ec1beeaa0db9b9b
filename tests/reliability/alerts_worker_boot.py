"""Boot module of the workers that ``test_alerts_under_kills.py`` starts and kills::

    python -m dramatiq alerts_worker_boot --path tests/reliability --processes 1 --threads 4

The real application with vvs_alerts (settings from the ``VVS_*`` environment: database,
Redis broker, outbox timings), whose SMS and e-mail providers are replaced by one
recording fake standing for a remote API: what it accepts is committed at once to
``fake_accepted`` (one row per key, counting sends, with the time), and
``fake_provider_mode`` (one row) makes it fail a share of the messages or be down. These
tables live in ``FAKE_PROVIDER_DSN`` when set (the provider is another system: it stays
up when our PostgreSQL restarts), else in the application's database.
The process also runs the periodic tasks (the outbox sweeper), as a deployment's
scheduler would.
"""
from __future__ import annotations

import os
import random
import threading
import time

import psycopg

from vvs_core import make_config
from vvs_core.jobs import tasks
from vvs_core.errors import TransientDeliveryError
from vvs_core.interfaces import SendResult
from vvs_core.testing import use_provider


class RecordingProvider:
    name = "recording"

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.local = threading.local()
        self.mode_read_at = 0.0
        self.mode = (0.0, False)

    def _cursor(self):
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            self.local.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
        return self.local.conn.cursor()

    def _current_mode(self):
        if time.monotonic() - self.mode_read_at > 0.3:
            with self._cursor() as cur:
                row = cur.execute("SELECT failure_rate, down FROM fake_provider_mode").fetchone()
            self.mode, self.mode_read_at = (row or (0.0, False)), time.monotonic()
        return self.mode

    def send_batch(self, messages):
        failure_rate, down = self._current_mode()
        if down:
            raise TransientDeliveryError("fournisseur indisponible (simulé)")
        accepted = [m for m in messages if random.random() >= failure_rate]
        if accepted:
            with self._cursor() as cur:  # one statement per batch, as one API call would be
                cur.execute(
                    "INSERT INTO fake_accepted (key, sends) SELECT unnest(%s::text[]), 1 "
                    "ON CONFLICT (key) DO UPDATE SET sends = fake_accepted.sends + 1",
                    ([m.key for m in accepted],))
        taken = {m.key for m in accepted}
        return [SendResult(m.key, ok=True, provider_ref=f"rec-{m.key}") if m.key in taken
                else SendResult(m.key, ok=False, transient=True, error="erreur 500 (simulée)") for m in messages]

    def already_sent(self, keys):
        with self._cursor() as cur:
            rows = cur.execute("SELECT key FROM fake_accepted WHERE key = ANY(%s)", (list(keys),)).fetchall()
        return {key: f"rec-{key}" for (key,) in rows}


app = make_config({"vvs.plugins": "vvs_dev_providers vvs_alerts", "vvs.email.folder": os.environ.get("TMPDIR", "/tmp")}).make_wsgi_app()
# The provider's own records: in FAKE_PROVIDER_DSN when the test gives one (a database
# that stays up when the application's PostgreSQL restarts), else next to the application's.
provider = RecordingProvider(os.environ.get("FAKE_PROVIDER_DSN") or
                             os.environ["VVS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1))
use_provider(app.registry, "sms", provider)
use_provider(app.registry, "email", provider)
tasks.set_task_registry(app.registry)
tasks.PeriodicScheduler(app.registry.vvs_periodic_tasks, tick=0.2).start()
