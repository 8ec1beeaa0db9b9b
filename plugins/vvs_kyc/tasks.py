"""Periodic actor: destroy the proof files kept past the retention period."""
from __future__ import annotations

import logging
from datetime import datetime

import dramatiq

from vvs_core.jobs.tasks import follow_current_broker as follow_broker, task_request

log = logging.getLogger(__name__)


@dramatiq.actor(max_retries=3)
def sweep_kyc_documents(now_iso: str | None = None):
    """Idempotent. ``now_iso`` moves the clock (tests, or catching up by hand)."""
    from .documents import sweep

    now = datetime.fromisoformat(now_iso) if now_iso else None
    with task_request() as request:
        counts = sweep(request, now)
    log.info("KYC sweep: %s", counts)


def follow_current_broker() -> None:
    follow_broker(sweep_kyc_documents)
