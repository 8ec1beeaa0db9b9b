"""Imported by ``python -m dramatiq bench.worker_boot`` in the benchmark's workers:
the real application (settings from VVS_BENCH_SETTINGS) plus a no-op actor."""
import json
import os

from vvs_core import make_config
from vvs_core.jobs import tasks

app = make_config(json.loads(os.environ["VVS_BENCH_SETTINGS"])).make_wsgi_app()
tasks.set_task_registry(app.registry)

from . import noop  # noqa: E402,F401  (after the broker is set)
