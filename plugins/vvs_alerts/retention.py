"""Alerts describe third parties: after ``vvs.alerts.retention_days`` their free text
and place are dropped. The alert itself (category, dates, community, author id) stays
for the statistics and the audit trail."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from vvs_core.clock import utcnow

from .catalogue import ANONYMISED_TEXT
from .models import Alert, AlertReport, AlertUpdate, ModerationAction


def anonymise_old_alerts(dbsession, retention_days: int, now=None) -> int:
    now = now or utcnow()
    cutoff = now - timedelta(days=int(retention_days))
    ids = list(dbsession.scalars(sa.select(Alert.id).where(Alert.created_at < cutoff, Alert.anonymised_at.is_(None))))
    if not ids:
        return 0
    opts = {"synchronize_session": False}
    dbsession.execute(sa.update(Alert).where(Alert.id.in_(ids))
                      .values(text=ANONYMISED_TEXT, place=None, anonymised_at=now).execution_options(**opts))
    dbsession.execute(sa.update(AlertUpdate).where(AlertUpdate.alert_id.in_(ids))
                      .values(text="").execution_options(**opts))
    dbsession.execute(sa.update(AlertReport).where(AlertReport.alert_id.in_(ids))
                      .values(reason="").execution_options(**opts))
    dbsession.execute(sa.update(ModerationAction).where(ModerationAction.alert_id.in_(ids))
                      .values(original_text="").execution_options(**opts))
    return len(ids)
