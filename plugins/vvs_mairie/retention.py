"""How long a commune keeps the proofs of warning of its alerts: the notification rows of
its commune alerts (who, channel, when, status) are kept for the period the commune
chose (``MairieCommune.proof_retention_days``, a year by default), whatever the site's
own period for notifications, then deleted by the retention machinery (``vvs purge``,
the periodic purge) through ``vvs_retention_rules``."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from vvs_core.hooktypes import RetentionRule
from vvs_core.models.notification import Notification

from .commune_alerts import SUBJECT
from .models import MairieAlert, MairieCommune

DEFAULT_DAYS = 365
CHOICES = {90: "3 mois", 365: "1 an", 730: "2 ans", 1095: "3 ans", 1825: "5 ans", 3650: "10 ans"}


def days_of(row: MairieCommune | None) -> int:
    days = getattr(row, "proof_retention_days", None)
    return days if days in CHOICES else DEFAULT_DAYS


def old_proofs(session, now):
    """The notifications of commune alerts older than their commune's period."""
    chosen: dict[int, list[int]] = {}
    for commune_id, days in session.execute(sa.select(MairieCommune.commune_id, MairieCommune.proof_retention_days)
                                            .where(MairieCommune.proof_retention_days.is_not(None))):
        chosen.setdefault(days if days in CHOICES else DEFAULT_DAYS, []).append(commune_id)
    explicit = [cid for ids in chosen.values() for cid in ids]
    periods = [sa.and_(MairieAlert.commune_id.notin_(explicit or [-1]),
                       MairieAlert.created_at < now - timedelta(days=DEFAULT_DAYS))]
    periods += [sa.and_(MairieAlert.commune_id.in_(ids), MairieAlert.created_at < now - timedelta(days=days))
                for days, ids in chosen.items()]
    return sa.and_(Notification.subject_type == SUBJECT,
                   Notification.subject_id.in_(sa.select(MairieAlert.id).where(sa.or_(*periods))))


def rules() -> list[RetentionRule]:
    return [RetentionRule("preuves d'alerte (notifications des alertes de la mairie)", Notification, old_proofs,
                          keeps=Notification.subject_type == SUBJECT)]
