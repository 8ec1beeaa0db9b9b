"""Closed roll-calls, their answers and their log are deleted after the commune's period
(its roll-call settings) or else the operator's (vvs.rollcall.retention_days), by the core's
purge through vvs_retention_rules; an open roll-call and a recent one stay."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from vvs_retention.purge import purge
from vvs_core.models import Commune
from vvs_mairie.testing import agent_login, mairie  # noqa: F401
from vvs_rollcall.models import RollCall, RollCallLog, RollCallPerson, RollCallSettings

SETTINGS = {"vvs.retention.notifications_days": 0, "vvs.retention.events_days": 0, "vvs.retention.batch_size": 2,
            "vvs.retention.max_batches": 100, "vvs.rollcall.retention_days": 365}


def _rollcall(dbsession, commune, people, closed_days_ago, now, status="closed"):
    when = now - timedelta(days=closed_days_ago)
    call = RollCall(commune_id=commune.id, launched_as="mairie", target="commune", community_ids=[], message="Crue 🌊",
                    exercise=False, waves=[], waves_done=0, status=status, created_at=when - timedelta(hours=1),
                    closed_at=when if status == "closed" else None)
    dbsession.add(call)
    dbsession.flush()
    dbsession.add_all([RollCallPerson(rollcall_id=call.id, user_id=u.id, answer="safe", note="« ça va » 👍",
                                      escalations=0) for u in people])
    dbsession.add(RollCallLog(rollcall_id=call.id, at=when, action="closed", text="Appel clos."))
    return call


def test_rollcalls_are_purged_after_the_communes_period(app, dbsession, session_factory, clock, mairie):  # noqa: F811
    now = clock.set(datetime(2026, 12, 6, 13, 0, tzinfo=timezone.utc))
    chessy = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=mairie.commune.centre)
    dbsession.add(chessy)
    dbsession.flush()
    dbsession.add(RollCallSettings(commune_id=mairie.commune.id, waves=[], referents_may_launch=False,
                                   retention_days=30))
    residents = mairie.residents
    gone = _rollcall(dbsession, mairie.commune, residents, 31, now)         # past Serris's 30 days
    kept = _rollcall(dbsession, mairie.commune, residents, 29, now)
    still_open = _rollcall(dbsession, mairie.commune, residents, 400, now, status="open")
    default_kept = _rollcall(dbsession, chessy, residents[:1], 300, now)   # Chessy: the operator's year
    default_gone = _rollcall(dbsession, chessy, residents[:1], 366, now)
    dbsession.flush()
    ids = {name: call.id for name, call in (("gone", gone), ("kept", kept), ("open", still_open),
                                             ("default_kept", default_kept), ("default_gone", default_gone))}
    dbsession.commit()

    reports = {r.table: r for r in purge(session_factory, SETTINGS, now=now, pm=app.registry.vvs_plugins)}
    assert reports["réponses aux appels de sécurité"].rows == 4 and reports["réponses aux appels de sécurité"].batches == [2, 2]
    assert reports["journal des appels de sécurité"].rows == 2 and reports["appels de sécurité clos"].rows == 2
    dbsession.expire_all()
    left = set(dbsession.scalars(sa.select(RollCall.id)))
    assert left == {ids["kept"], ids["open"], ids["default_kept"]}
    assert set(dbsession.scalars(sa.select(RollCallPerson.rollcall_id))) == left
    assert set(dbsession.scalars(sa.select(RollCallLog.rollcall_id))) == left
    # a second pass deletes nothing; 0 days for the commune keeps its roll-calls for ever
    assert sum(r.rows for r in purge(session_factory, SETTINGS, now=now, pm=app.registry.vvs_plugins)) == 0
    dbsession.execute(sa.update(RollCallSettings).values(retention_days=0))
    dbsession.commit()
    purge(session_factory, SETTINGS, now=now + timedelta(days=3000), pm=app.registry.vvs_plugins)
    dbsession.expire_all()
    assert set(dbsession.scalars(sa.select(RollCall.id))) == {ids["kept"], ids["open"]}
