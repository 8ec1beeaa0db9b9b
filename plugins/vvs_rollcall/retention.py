"""Closed roll-calls are deleted, with the people they asked (and their answers) and their
log, once older than the commune's retention period (``rollcall_settings.retention_days``)
or else the operator's (``vvs.rollcall.retention_days``; 0 keeps them for ever), by the
core's purge (``vvs purge``, the periodic task) through ``vvs_retention_rules``. The answers
and the log go first; a roll-call whose rows are not all gone yet waits for the next pass."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from vvs_core.hooktypes import RetentionRule

from .models import RollCall, RollCallLog, RollCallPerson, RollCallSettings


def expired(session, now, default_days: int):
    """The SQL condition of the closed roll-calls past their commune's period; None when none can be."""
    chosen = dict(session.execute(sa.select(RollCallSettings.commune_id, RollCallSettings.retention_days)
                                  .where(RollCallSettings.retention_days.is_not(None))).all())
    parts = [sa.and_(RollCall.commune_id == commune_id, RollCall.closed_at < now - timedelta(days=days))
             for commune_id, days in chosen.items() if days > 0]
    if default_days > 0:
        parts.append(sa.and_(RollCall.commune_id.notin_(list(chosen) or [-1]),
                             RollCall.closed_at < now - timedelta(days=default_days)))
    return sa.and_(RollCall.status == "closed", sa.or_(*parts)) if parts else None


def rules(settings) -> list[RetentionRule]:
    days = int(settings.get("vvs.rollcall.retention_days", 365))

    def of_expired(model):
        def old(session, now):
            condition = expired(session, now, days)
            return None if condition is None else model.rollcall_id.in_(sa.select(RollCall.id).where(condition))
        return old

    def calls(session, now):
        condition = expired(session, now, days)
        if condition is None:
            return None
        return sa.and_(condition, ~sa.exists().where(RollCallPerson.rollcall_id == RollCall.id),
                       ~sa.exists().where(RollCallLog.rollcall_id == RollCall.id))

    return [RetentionRule("réponses aux appels de sécurité", RollCallPerson, of_expired(RollCallPerson)),
            RetentionRule("journal des appels de sécurité", RollCallLog, of_expired(RollCallLog)),
            RetentionRule("appels de sécurité clos", RollCall, calls)]
