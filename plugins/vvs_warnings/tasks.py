"""The periodic poll of the official feeds. Each feed is read in its own transaction:
a feed that cannot be read, or a document refused, is one log line and changes nothing."""
from __future__ import annotations

import logging

import dramatiq

from vvs_core.jobs.tasks import follow_current_broker as follow_broker, task_request

log = logging.getLogger(__name__)


def follow_current_broker() -> None:
    follow_broker(*ACTORS)


@dramatiq.actor(max_retries=0)
def poll_warnings():
    """Each feed: fetched and read outside any transaction, then applied in its own."""
    from vvs_core.jobs.tasks import task_registry

    from .polling import apply, end_expired_warnings, gather, known_keys

    settings = task_registry().settings

    def known(keys):
        with task_request() as request:
            return known_keys(request.dbsession, keys)

    for feed in settings["vvs.warnings.feeds"]:
        gathered = gather(settings, feed, known)
        with task_request() as request:
            apply(request, feed, gathered)
    with task_request() as request:
        end_expired_warnings(request)


ACTORS = (poll_warnings,)
