"""Dramatiq actors of the alerts: fan-out after commit, and the periodic passes
(expiry, escalation of held alerts, anonymisation). Each runs in ``task_request()``
and is idempotent."""
from __future__ import annotations

import logging

import dramatiq

from vvs_core.jobs.lease import leased_actor
from vvs_core.jobs.tasks import follow_current_broker as follow_broker, task_request

log = logging.getLogger(__name__)


@leased_actor
def fan_out_alert(alert_id: int, update_id: int = 0):
    """Write the notification rows of an alert (or of one of its updates) and
    enqueue their delivery. A leased job (``vvs_core.jobs``): a worker killed while
    holding it, or a broker that lost its message, delays it by at most about
    vvs.jobs.lease + vvs.jobs.reap_interval. Running it twice writes nothing more."""
    from .fanout import fan_out
    from .models import Alert, AlertUpdate

    with task_request() as request:
        alert = request.dbsession.get(Alert, alert_id)
        if alert is None:
            log.warning("fan-out of alert %s: no such alert", alert_id)
            return
        update = request.dbsession.get(AlertUpdate, update_id) if update_id else None
        fan_out(request, alert, update, commit_chunks=True)


@dramatiq.actor(max_retries=0)
def expire_alerts():
    from .lifecycle import expire_alerts as expire

    with task_request() as request:
        expire(request.dbsession)


@dramatiq.actor(max_retries=0)
def escalate_held_alerts():
    from .moderation import escalate_held

    with task_request() as request:
        escalate_held(request)


@dramatiq.actor(max_retries=0)
def anonymise_alerts():
    from .retention import anonymise_old_alerts

    with task_request() as request:
        anonymise_old_alerts(request.dbsession, request.registry.settings["vvs.alerts.retention_days"])


ACTORS = (fan_out_alert, expire_alerts, escalate_held_alerts, anonymise_alerts)


def follow_current_broker() -> None:
    follow_broker(*ACTORS)
