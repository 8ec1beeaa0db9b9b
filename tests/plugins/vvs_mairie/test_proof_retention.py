"""Proofs of warning are kept for the period the commune chose (issue 17.4), whatever the
site's own period for notifications, then deleted by the retention machinery."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from vvs_core.models import Commune
from vvs_core.models.notification import Notification
from vvs_retention.purge import purge
from vvs_followers.models import Follower
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

SETTINGS = {"vvs.retention.notifications_days": 30, "vvs.retention.events_days": 0,
            "vvs.retention.batch_size": 3, "vvs.retention.max_batches": 100}


def _alert_rows(dbsession, commune, days_ago, now, n=4):
    when = now - timedelta(days=days_ago)
    alert = MairieAlert(commune_id=commune.id, kind="alert", category="meteo", title="Crue « ancienne »",
                        created_at=when)
    dbsession.add(alert)
    dbsession.flush()
    dbsession.add_all([Notification(dedupe_key=f"mairie-alert:{alert.id}:abonne-{i}:sms", kind="mairie_alert",
                                    subject_type="mairie_alert", subject_id=alert.id, channel="sms",
                                    address="+33639980000", status="delivered", created_at=when, next_attempt_at=when)
                       for i in range(n)])
    return alert


def test_vvs_retention_rules(app, dbsession, session_factory, clock, mairie):
    now = clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc))
    mairie.mairie.proof_retention_days = 90
    other = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=mairie.commune.centre)
    dbsession.add(other)
    dbsession.flush()
    past = _alert_rows(dbsession, mairie.commune, 100, now)          # past Serris's 90 days
    kept = _alert_rows(dbsession, mairie.commune, 60, now)           # older than 30 days, within 90
    default_kept = _alert_rows(dbsession, other, 200, now)           # Chessy: the default year
    default_past = _alert_rows(dbsession, other, 400, now)
    plain = Notification(dedupe_key="autre:1", kind="message", channel="email", address="a@exemple.fr",
                         status="sent", created_at=now - timedelta(days=40), next_attempt_at=now)
    in_flight = Notification(dedupe_key=f"mairie-alert:{past.id}:abonne-9:sms", kind="mairie_alert",
                             subject_type="mairie_alert", subject_id=past.id, channel="sms", address="+33639980001",
                             status="pending", created_at=now - timedelta(days=100), next_attempt_at=now)
    stale = Follower(commune_id=mairie.commune.id, channel="sms", address="+33639980002", status="pending",
                     secret_expires_at=now - timedelta(hours=1))
    dbsession.add_all([plain, in_flight, stale])
    dbsession.flush()
    ids = {"kept": kept.id, "default_kept": default_kept.id, "default_past": default_past.id, "plain": plain.id,
           "in_flight": in_flight.id, "stale": stale.id}
    dbsession.commit()
    hook = app.registry.vvs_plugins.hook.vvs_retention_rules
    assert {rule.name for answer in hook(settings=SETTINGS) for rule in answer} == {
        "preuves d'alerte (notifications des alertes de la mairie)", "demandes d'abonnement non confirmées",
        "réponses aux appels de sécurité", "journal des appels de sécurité", "appels de sécurité clos"}

    reports = {r.table: r for r in purge(session_factory, SETTINGS, now=now, pm=app.registry.vvs_plugins)}
    assert reports["preuves d'alerte (notifications des alertes de la mairie)"].rows == 8
    assert reports["preuves d'alerte (notifications des alertes de la mairie)"].batches == [3, 3, 2]
    assert reports["demandes d'abonnement non confirmées"].rows == 1
    dbsession.expire_all()
    left = {subject for subject, in dbsession.execute(sa.select(Notification.subject_id).where(
        Notification.subject_type == "mairie_alert", Notification.status != "pending"))}
    assert left == {ids["kept"], ids["default_kept"]}
    assert dbsession.get(Notification, ids["in_flight"]) is not None  # still being sent: never deleted
    assert dbsession.get(Notification, ids["plain"]) is None          # the site's 30 days
    assert dbsession.get(Follower, ids["stale"]) is None
    assert ids["default_past"] not in left


def test_the_agent_chooses_how_long_proofs_are_kept(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    page = testapp.get("/mairie/77449/preuve/verifier")
    assert '<option value="365" selected="selected">1 an</option>' in page.text and "cle-publique.pem" in page.text
    testapp.post_csrf("/mairie/77449/preuve/verifier", {"retention_days": "1825"}, status=303)
    dbsession.expire_all()
    assert mairie.mairie.proof_retention_days == 1825
    for bad in ("7", "-1", "abc", "1825<script>", "9" * 40, ""):
        assert "Choisissez une durée de la liste." in testapp.post_csrf(
            "/mairie/77449/preuve/verifier", {"retention_days": bad}, status=400).text
    dbsession.expire_all()
    assert mairie.mairie.proof_retention_days == 1825
