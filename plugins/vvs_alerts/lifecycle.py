"""An alert's life after posting: updates, the all-clear, expiry, withdrawal of what
was not yet sent."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.clock import aware, utcnow
from vvs_core.models import Notification

from .models import Alert, AlertUpdate
from .posting import start_fan_out


def is_active(alert, now=None) -> bool:
    """Published, not expired, not over."""
    now = now or utcnow()
    return alert.status == "published" and alert.all_clear_at is None and aware(alert.expires_at) > now


def active_alerts_query(community_ids, now=None):
    now = now or utcnow()
    return (sa.select(Alert).where(Alert.community_id.in_(list(community_ids)), Alert.status == "published",
                                   Alert.all_clear_at.is_(None), Alert.expires_at > now)
            .order_by(Alert.created_at.desc()))


def post_update(request, alert, author, kind: str, text: str) -> AlertUpdate:
    """Add an update or the all-clear; it goes to everyone the alert reached."""
    if kind not in ("update", "all_clear"):
        raise ValueError(f"unknown update kind {kind!r}")
    update = AlertUpdate(alert_id=alert.id, author_id=author.id, kind=kind, text=text.strip()[:1000],
                         created_at=utcnow())
    request.dbsession.add(update)
    if kind == "all_clear":
        alert.all_clear_at = update.created_at
    request.dbsession.flush()
    start_fan_out(request, alert, update)
    return update


def cancel_pending(dbsession, alert) -> int:
    """Notifications of ``alert`` and its updates not yet handed to a provider are cancelled."""
    update_ids = sa.select(AlertUpdate.id).where(AlertUpdate.alert_id == alert.id).scalar_subquery()
    subject = (((Notification.subject_type == "alert") & (Notification.subject_id == alert.id))
               | ((Notification.subject_type == "alert_update") & Notification.subject_id.in_(update_ids)))
    result = dbsession.execute(
        sa.update(Notification).where(subject, Notification.status == "pending")
        .values(status="cancelled", last_error="alerte retirée").execution_options(synchronize_session=False))
    return result.rowcount or 0


def expire_alerts(dbsession, now=None) -> int:
    """Published alerts past their expiry become expired; returns how many."""
    now = now or utcnow()
    result = dbsession.execute(
        sa.update(Alert).where(Alert.status == "published", Alert.expires_at <= now)
        .values(status="expired").execution_options(synchronize_session=False))
    return result.rowcount or 0
