"""``python -m bench [name…]``: run the benchmarks on PostGIS + Redis, write
bench/results.json and the figures section of docs/performance.md."""
from __future__ import annotations

import importlib
import sys

from .common import PG_BASE, fresh_database, log, save_results
from .report import write_performance_doc

BENCHES = ["bench_home", "bench_geo", "bench_fanout", "bench_gazette"]


def main(argv):
    names = argv or BENCHES
    from vvs_core.migrate import upgrade
    from vvs_core.testing import base_settings, enabled_module_names

    results = {}
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        db_url = fresh_database(PG_BASE)
        upgrade(db_url, enabled_module_names(base_settings(db_url)))
        log(f"== {name}")
        results.update(module.run(db_url))
        save_results(results)
    data = save_results(results)
    write_performance_doc(data)
    for key, value in sorted(data.items()):
        print(f"{key}: {value}")


if __name__ == "__main__":
    main(sys.argv[1:])
