"""The periodic poll of the official feeds. Each feed is read in its own transaction:
a feed that cannot be read, or a document refused, is one log line and changes nothing."""
from __future__ import annotations

import logging

import dramatiq

from vvs_core.tasks import task_request

log = logging.getLogger(__name__)


def follow_current_broker() -> None:
    """Bind the actors to the broker the application configured (set before import)."""
    broker = dramatiq.get_broker()
    for actor in ACTORS:
        if actor.broker is not broker:
            actor.broker = broker
            broker.declare_actor(actor)


@dramatiq.actor(max_retries=0)
def poll_warnings():
    from .polling import end_expired_warnings, poll_feed

    with task_request() as request:
        feeds = request.registry.settings["vvs.warnings.feeds"]
    for feed in feeds:
        with task_request() as request:
            poll_feed(request, feed)
    with task_request() as request:
        end_expired_warnings(request)


ACTORS = (poll_warnings,)
