"""The periodic escalation of open roll-calls (a dramatiq actor, idempotent)."""
from __future__ import annotations

import dramatiq

from vvs_core.jobs.tasks import task_request


@dramatiq.actor(max_retries=0)
def escalate_rollcalls():
    """Send the waves whose time has come (``escalation.escalate_due``)."""
    from .escalation import escalate_due

    with task_request() as request:
        escalate_due(request)


def follow_current_broker() -> None:
    """Bind the actor to the broker configured last (tests build several apps)."""
    broker = dramatiq.get_broker()
    if escalate_rollcalls.broker is not broker:
        escalate_rollcalls.broker = broker
        broker.declare_actor(escalate_rollcalls)
