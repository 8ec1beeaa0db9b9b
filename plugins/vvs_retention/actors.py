"""The periodic purge of what is older than its retention period (``vvs_retention.purge``)."""

import dramatiq

from vvs_retention.purge import purge_from_registry
from vvs_core.jobs.tasks import follow_current_broker as follow_broker


@dramatiq.actor(max_retries=0, priority=20)
def purge_old_rows():
    """Delete old notifications and community events, in batches (``retention.purge``).
    Low priority: it waits behind alerts and their deliveries."""
    purge_from_registry()


def follow_current_broker() -> None:
    follow_broker(purge_old_rows)
