"""``python -m bench [name…] [--scale S]``: run the benchmarks on PostGIS + Redis, write
bench/results.json and the figures section of docs/performance.md.

Without a name: the benchmarks of ``BENCHES`` (what ``make bench`` runs). The national
benchmark is named explicitly, being long: ``python -m bench bench_scale --scale 1`` (the
full national data set), ``--scale 0.1`` a tenth of it (``VVS_BENCH_SCALE``, default 0.1)."""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .common import PG_BASE, fresh_database, log, save_results
from .report import write_performance_doc

BENCHES = ["bench_home", "bench_geo", "bench_fanout", "bench_gazette", "bench_mixed"]


def main(argv):
    if "--scale" in argv:
        at = argv.index("--scale")
        os.environ["VVS_BENCH_SCALE"] = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    names = argv or BENCHES
    if shutil.which("wrk") is None:  # `make bench` installs it; a direct run installs it too
        script = Path(__file__).resolve().parent.parent / "scripts" / "apt-install.sh"
        if subprocess.run([str(script), "wrk"]).returncode or shutil.which("wrk") is None:
            sys.exit("bench: wrk is missing and could not be installed (apt-get install wrk as root)")
    from vvs_core.models.migrate import upgrade
    from vvs_core.testing import base_settings, enabled_module_names

    results = {}
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            log(f"no benchmark named {name}")
            continue
        db_url = fresh_database(PG_BASE)
        upgrade(db_url, enabled_module_names(base_settings(db_url)))
        log(f"== {name}")
        # The machine is shared: its load when the benchmark starts goes next to the figures.
        results[f"loadavg_{name}"] = round(os.getloadavg()[0], 1)
        results.update(module.run(db_url))
        save_results(results)
    data = save_results(results)
    write_performance_doc(data)
    for key, value in sorted(data.items()):
        print(f"{key}: {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
