"""``vvs purge INI``: delete what is older than its retention period, in batches, and say
how much went from each table."""
from __future__ import annotations

from vvs_core.cli import open_session, setup_logging


def run_purge(loaded, args) -> int:
    setup_logging(loaded.ini)
    from sqlalchemy.orm import sessionmaker

    from .purge import purge

    with open_session(loaded) as session:  # open_session: the web processes' caches hear of the deletes
        reports = purge(sessionmaker(bind=session.get_bind(), expire_on_commit=False), loaded.settings,
                        pm=loaded.pm)
    for report in reports:
        if report.cutoff is None:
            print(f"{report.table}: kept for ever (retention 0)")
        elif report.table not in ("notifications", "community_events"):  # a plugin's rule: its own periods
            print(f"{report.table}: {report.rows} rows past their retention period deleted in {len(report.batches)} batches")
        else:
            print(f"{report.table}: {report.rows} rows older than {report.cutoff.date().isoformat()} deleted "
                  f"in {len(report.batches)} batches")
    return 0
