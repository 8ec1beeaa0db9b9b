"""Two agents on the same residents' alert at the same moment, in real parallel
transactions on SQLite and on PostGIS: a status change (with a reply) against another,
a reply on a status already set, and the one-click « Pris en compte ». One result,
the second agent reads a French message, never a 500, nothing applied twice."""
import threading
import uuid
from datetime import timedelta

import pyotp
import webtest
from shapely.geometry import Point
from sqlalchemy import delete, func, select

from vvs_core.clock import utcnow
from vvs_core.models import CommunityEvent, Membership, Notification, get_engine, get_session_factory
from vvs_core.testing import VVSTestApp
from vvs_mairie.models import AlertAcknowledgement, AlertReply
from vvs_mairie.testing import at_once, enrol_agent

from mairie_world import add_commune_world, delete_commune_world


def _world(factory, settings, tag):
    from vvs_alerts.models import Alert

    with factory() as s:
        commune, community, users = add_commune_world(s, "9" + tag[:4], tag,
                                                      [(who, {}) for who in ("autrice", "agent1", "agent2")])
        s.add(Membership(user_id=users[0].id, community_id=community.id, status="active"))
        secrets = [enrol_agent(s, settings, u, commune)[1] for u in users[1:]]
        now = utcnow()
        alerts = []
        for n in range(3):
            alert = Alert(community_id=community.id, commune_id=commune.id, author_id=users[0].id,
                          category="tentative_cambriolage", text=f"Rôdeur rue de l’Église n°{n} « vu deux fois »",
                          severity="moderate", created_at=now - timedelta(minutes=5), published_at=now,
                          expires_at=now + timedelta(hours=24), status="published", idempotency_key=uuid.uuid4().hex,
                          source="web", place=Point(2.3, 48.3))
            s.add(alert)
            alerts.append(alert)
        s.flush()
        ids = {"commune": commune.id, "insee": commune.insee, "community": community.id,
               "users": [u.id for u in users], "alerts": [a.id for a in alerts], "secrets": secrets,
               "emails": [u.email for u in users]}
        s.commit()
    return ids


def _cleanup(factory, ids):
    from vvs_alerts.models import Alert

    with factory() as s:
        s.execute(delete(AlertReply).where(AlertReply.commune_id == ids["commune"]))
        s.execute(delete(AlertAcknowledgement).where(AlertAcknowledgement.commune_id == ids["commune"]))
        s.execute(delete(CommunityEvent).where(CommunityEvent.community_id == ids["community"]))
        s.execute(delete(CommunityEvent).where(CommunityEvent.actor_id.in_(ids["users"])))
        s.execute(delete(Alert).where(Alert.id.in_(ids["alerts"])))
        delete_commune_world(s, ids)
        s.commit()


def _signed_in_agents(app, ids) -> list:
    clients = []
    for email, secret in zip(ids["emails"][1:], ids["secrets"]):
        client = VVSTestApp(app)
        client.login(email)
        client.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
        clients.append(client)
    return clients


def _at_once(app, clients, url, params_each):
    """POST ``url`` from both clients at the same moment; the answers in the clients' order."""
    def post(n):
        t = webtest.TestApp(app, cookiejar=clients[n].t.cookiejar)
        params = {**params_each[n], "csrf_token": clients[n].csrf()}
        return lambda: t.post(url, params, expect_errors=True)
    return at_once([lambda n=n: post(n) for n in (0, 1)])


def test_two_agents_on_one_alert_at_once(app, db_url):
    engine = get_engine(db_url, **({} if db_url.startswith("sqlite") else {"pool_size": 6}))
    factory = get_session_factory(engine)
    saved = app.registry["dbsession_factory"]
    ids = _world(factory, app.registry.settings, uuid.uuid4().hex[:8])
    app.registry["dbsession_factory"] = factory
    try:
        clients = _signed_in_agents(app, ids)
        insee, first, second, third = ids["insee"], *ids["alerts"]

        # 1. Both saw « reçue »: one sends a patrol, the other closes it.
        url = f"/mairie/{insee}/signalements/{first}"
        answers = _at_once(app, clients, url, [
            {"status": "patrouille", "reply": "Patrouille envoyée rue de l’Église 🚓", "seen": "recue"},
            {"status": "close", "reply": "Rien à signaler, alerte close.", "seen": "recue"}])
        codes = sorted(a.status_int for a in answers)
        assert codes == [303, 400], [(a.location, a.text[:300]) for a in answers]
        refused = next(a for a in answers if a.status_int == 400).text
        assert "Un autre agent vient de" in refused and "Rien n'a été changé" in refused
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AlertReply).where(AlertReply.alert_id == first)) == 1
            status = s.scalar(select(AlertAcknowledgement.status).where(AlertAcknowledgement.alert_id == first))
            last = s.scalar(select(AlertReply.id).where(AlertReply.alert_id == first))

        # 2. Both saw that status and that reply, and answer at once with the same status
        # (the status alone cannot tell them apart: the form says which reply it saw).
        answers = _at_once(app, clients, url, [
            {"status": status, "reply": "Les individus sont partis, merci.", "seen": status, "seen_reply": last},
            {"status": status, "reply": "Merci pour votre vigilance !", "seen": status, "seen_reply": last}])
        assert sorted(a.status_int for a in answers) == [303, 400]
        assert "Un autre agent vient de répondre à cette alerte" in next(a for a in answers if a.status_int == 400).text
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AlertReply).where(AlertReply.alert_id == first)) == 2
            to_author = s.scalar(select(func.count()).select_from(Notification).where(
                Notification.kind == "mairie_ack", Notification.recipient_id == ids["users"][0]))
            assert to_author == 2  # one per applied change (e-mail; no push device)

        # 3. The one-click « Pris en compte » of the feed, twice at once: once.
        answers = _at_once(app, clients, f"/mairie/{insee}/signalements/{second}/pris-en-compte", [{}, {}])
        assert [a.status_int for a in answers] == [303, 303]
        pages = [webtest.TestApp(app, cookiejar=c.t.cookiejar).get(f"/mairie/{insee}").text for c in clients]
        assert sum("Cette alerte était déjà prise en compte." in p for p in pages) == 1
        assert sum("Alerte marquée « pris en compte »" in p for p in pages) == 1
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AlertReply).where(AlertReply.alert_id == second)) == 1

        # 4. One clicks « Pris en compte » while the other sends a patrol from the follow-up page.
        answers = [None, None]
        barrier = threading.Barrier(2)

        def ack():
            t = webtest.TestApp(app, cookiejar=clients[0].t.cookiejar)
            token = clients[0].csrf()
            barrier.wait()
            answers[0] = t.post(f"/mairie/{insee}/signalements/{third}/pris-en-compte", {"csrf_token": token},
                                expect_errors=True)

        def patrol():
            t = webtest.TestApp(app, cookiejar=clients[1].t.cookiejar)
            token = clients[1].csrf()
            barrier.wait()
            answers[1] = t.post(f"/mairie/{insee}/signalements/{third}",
                                {"csrf_token": token, "status": "patrouille", "reply": "On y va.", "seen": "recue"},
                                expect_errors=True)

        threads = [threading.Thread(target=ack), threading.Thread(target=patrol)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(a.status_int in (303, 400) for a in answers), [a.status_int for a in answers]
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AlertReply).where(AlertReply.alert_id == third)) == 1
    finally:
        app.registry["dbsession_factory"] = saved
        _cleanup(factory, ids)
        engine.dispose()


def test_one_click_ack_after_a_patrol_landed_meanwhile(app, db_url, monkeypatch):
    """The interleaving a loaded machine produced once: « Pris en compte » read the alert
    as « reçue », then another agent's patrol was committed before it locked the
    follow-up. The click is refused under the lock (one reply, the patrol's status),
    not applied over the patrol. (PostgreSQL only: on SQLite a POST takes the write lock
    at its first read, so the patrol cannot land in between.)"""
    if db_url.startswith("sqlite"):
        return
    from vvs_mairie import follow_up

    engine = get_engine(db_url, pool_size=6)
    factory = get_session_factory(engine)
    saved = app.registry["dbsession_factory"]
    ids = _world(factory, app.registry.settings, uuid.uuid4().hex[:8])
    app.registry["dbsession_factory"] = factory
    patrol_done = threading.Event()
    locked = follow_up._locked

    def locked_after_the_patrol(*args):
        if threading.current_thread().name == "ack":
            assert patrol_done.wait(30), "the patrol never finished"
        return locked(*args)

    monkeypatch.setattr(follow_up, "_locked", locked_after_the_patrol)
    try:
        clients = _signed_in_agents(app, ids)
        insee, alert = ids["insee"], ids["alerts"][0]
        answers = {}

        def ack():
            t = webtest.TestApp(app, cookiejar=clients[0].t.cookiejar)
            answers["ack"] = t.post(f"/mairie/{insee}/signalements/{alert}/pris-en-compte",
                                    {"csrf_token": clients[0].csrf()}, expect_errors=True)

        def patrol():
            t = webtest.TestApp(app, cookiejar=clients[1].t.cookiejar)
            try:
                answers["patrol"] = t.post(f"/mairie/{insee}/signalements/{alert}",
                                           {"csrf_token": clients[1].csrf(), "status": "patrouille",
                                            "reply": "On y va 🚓", "seen": "recue"}, expect_errors=True)
            finally:
                patrol_done.set()

        threads = [threading.Thread(target=ack, name="ack"), threading.Thread(target=patrol, name="patrol")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers["patrol"].status_int == 303, answers["patrol"].text[:300]
        assert answers["ack"].status_int == 303
        page = webtest.TestApp(app, cookiejar=clients[0].t.cookiejar).get(f"/mairie/{insee}").text
        assert "Cette alerte était déjà prise en compte." in page
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AlertReply).where(AlertReply.alert_id == alert)) == 1
            assert s.scalar(select(AlertAcknowledgement.status).where(
                AlertAcknowledgement.alert_id == alert)) == "patrouille"
    finally:
        app.registry["dbsession_factory"] = saved
        _cleanup(factory, ids)
        engine.dispose()
