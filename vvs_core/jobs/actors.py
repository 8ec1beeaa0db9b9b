"""The reaper: a periodic actor that re-enqueues leased jobs whose lease ran out."""

import dramatiq

from vvs_core.jobs.tasks import RECOVERY_QUEUE
from .lease import reap


@dramatiq.actor(max_retries=0, queue_name=RECOVERY_QUEUE, priority=-10)
def reap_jobs():
    """Hand out again the jobs a dead worker held or a broker lost (``lease.reap``).
    On the recovery queue: queued behind a backlog, it would come too late."""
    reap()
