"""``python -m bench.scheduler_boot``: the scheduler of the benchmarks (what ``vvs scheduler``
runs in production: every periodic task of the application, the outbox's sweeper and the
jobs' reaper among them), with the settings of VVS_BENCH_SETTINGS instead of an .ini."""
import json
import os

from vvs_core import make_config
from vvs_core.cli import run_until_signalled
from vvs_core.jobs.tasks import PeriodicScheduler

if __name__ == "__main__":
    registry = make_config(json.loads(os.environ["VVS_BENCH_SETTINGS"])).registry
    run_until_signalled(PeriodicScheduler(list(registry.vvs_periodic_tasks)))
