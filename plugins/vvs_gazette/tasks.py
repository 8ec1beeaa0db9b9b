"""Periodic actor of the gazette: the weekly digest (idempotent per user and ISO week)."""
from __future__ import annotations

import dramatiq

from vvs_core.clock import utcnow
from vvs_core.jobs.tasks import follow_current_broker as follow_broker, task_request

from .digest import send_weekly_digests


@dramatiq.actor(max_retries=3)
def send_gazette_digests():
    with task_request() as request:
        send_weekly_digests(request, utcnow())


def follow_current_broker() -> None:
    follow_broker(send_gazette_digests)
