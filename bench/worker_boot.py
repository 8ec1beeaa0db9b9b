"""Imported by ``python -m dramatiq bench.worker_boot`` in the benchmark's workers:
the real application (settings from VVS_BENCH_SETTINGS) plus a no-op actor."""
import json
import os

from vvs_core import make_config
from vvs_core.jobs import tasks

app = make_config(json.loads(os.environ["VVS_BENCH_SETTINGS"])).make_wsgi_app()
tasks.set_task_registry(app.registry)

from . import noop  # noqa: E402,F401  (after the broker is set)

# Ready: the benchmark waits for every worker process's mark before it measures anything.
import redis  # noqa: E402

from .common import REDIS_URL  # noqa: E402

redis.Redis.from_url(REDIS_URL).set(f"bench_worker_ready:{os.getpid()}", 1, ex=3600)
