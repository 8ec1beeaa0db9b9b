"""The periodic escalation of stale membership requests (a dramatiq actor).

Separate from ``vvs_core.communities.membership`` because declaring an actor needs the broker,
which is configured only when the application is built.
"""

import dramatiq

from vvs_core.jobs.tasks import follow_current_broker as follow_broker, task_request

# Checked a few times a day so a request is escalated within hours of its 15th day.
INTERVAL = 6 * 3600


@dramatiq.actor(max_retries=3)
def escalate_stale_requests():
    """Hand requests older than ``vvs.validation.escalation_days`` to the platform team."""
    from vvs_core.communities.membership import escalate_stale

    with task_request() as request:
        escalate_stale(request)


def includeme(config):
    follow_broker(escalate_stale_requests)
    config.add_periodic_task(escalate_stale_requests, INTERVAL)
