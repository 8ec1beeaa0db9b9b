"""Two agents close one roll-call at the same moment, and one person answers from two
devices at once, in real parallel transactions on SQLite and on PostGIS: one summary,
one « closed » line, every answer recorded once, never a 500."""
import re
import uuid

import pyotp
import webtest
from sqlalchemy import delete, func, select

from vvs_core.clock import utcnow
from vvs_core.models import Membership, Notification, get_engine, get_session_factory
from vvs_core.testing import TEST_SECRET, VVSTestApp
from vvs_mairie.testing import at_once, enrol_agent
from vvs_rollcall.models import RollCall, RollCallLog, RollCallPerson
from vvs_rollcall.tokens import answer_token

from mairie_world import add_commune_world, delete_commune_world


def _world(factory, tag):
    with factory() as s:
        commune, community, users = add_commune_world(
            s, f"9{int(tag, 16) % 10000:04d}", tag,
            [(who, {"mobile": f"+336{n:08d}", "address_label": "2 rue de l’Église"})
             for n, who in enumerate(("agent1", "agent2", "habitante"))])
        s.add(Membership(user_id=users[2].id, community_id=community.id, status="active"))
        secrets = [enrol_agent(s, TEST_SECRET, u, commune)[1] for u in users[:2]]
        calls = []
        for _n in range(2):
            call = RollCall(commune_id=commune.id, author_id=users[0].id, launched_as="mairie", target="commune",
                            community_ids=[], message="", exercise=False, waves=[], waves_done=0, status="open",
                            created_at=utcnow())
            s.add(call)
            s.flush()
            s.add(RollCallPerson(rollcall_id=call.id, user_id=users[2].id, community_id=community.id, note="",
                                 escalations=0))
            calls.append(call)
        s.flush()
        people = [s.scalar(select(RollCallPerson.id).where(RollCallPerson.rollcall_id == c.id)) for c in calls]
        ids = {"commune": commune.id, "insee": commune.insee, "community": community.id, "users": [u.id for u in users],
               "calls": [c.id for c in calls], "people": people, "secrets": secrets, "emails": [u.email for u in users]}
        s.commit()
    return ids


def _cleanup(factory, ids):
    with factory() as s:
        s.execute(delete(RollCallLog).where(RollCallLog.rollcall_id.in_(ids["calls"])))
        s.execute(delete(RollCallPerson).where(RollCallPerson.rollcall_id.in_(ids["calls"])))
        s.execute(delete(RollCall).where(RollCall.id.in_(ids["calls"])))
        delete_commune_world(s, ids)
        s.commit()


def test_two_agents_close_at_once_and_two_devices_answerat_once(app, db_url):
    engine = get_engine(db_url, **({} if db_url.startswith("sqlite") else {"pool_size": 6}))
    factory = get_session_factory(engine)
    saved = app.registry["dbsession_factory"]
    ids = _world(factory, uuid.uuid4().hex[:8])
    app.registry["dbsession_factory"] = factory
    try:
        agents = []
        for email, secret in zip(ids["emails"][:2], ids["secrets"]):
            client = VVSTestApp(app)
            client.login(email)
            client.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
            agents.append(client)
        insee, first, second = ids["insee"], *ids["calls"]

        # 1. the same person taps « aide » on her phone and « en sécurité » on her computer at once
        link = f"/securite/r/{answer_token({'vvs.secret': TEST_SECRET}, ids['people'][0])}"

        def tap(answer):
            def prepare():
                device = VVSTestApp(app)
                token = re.search(r'name="csrf_token" value="([^"]+)"', device.get(link).text).group(1)
                return lambda: device.post(link, {"csrf_token": token, "answer": answer}, expect_errors=True)
            return prepare

        answers = at_once([tap("help"), tap("safe")])
        assert [a.status_int for a in answers] == [200, 200], [a.text[:300] for a in answers]
        with factory() as s:
            person = s.get(RollCallPerson, ids["people"][0])
            assert person.answer in ("help", "safe")
            logged = s.scalar(select(func.count()).select_from(RollCallLog).where(
                RollCallLog.rollcall_id == first, RollCallLog.action == "answer"))
            assert logged == 2  # each answer, in the order they were applied
            helps = s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "rollcall_help"))
            assert helps == 4  # the two agents told of the AIDE once each, by SMS and by e-mail

        # 2. two agents close the second roll-call at once: one summary, one « closed »
        def close(client):
            def prepare():
                t = webtest.TestApp(app, cookiejar=client.t.cookiejar)
                token = client.csrf()
                return lambda: t.post(f"/securite/{insee}/appels/{second}/cloturer", {"csrf_token": token},
                                      expect_errors=True)
            return prepare

        answers = at_once([close(agents[0]), close(agents[1])])
        assert [a.status_int for a in answers] == [303, 303]
        pages = [webtest.TestApp(app, cookiejar=c.t.cookiejar).get(a.location).text for c, a in zip(agents, answers)]
        assert sum("Cet appel était déjà clos." in p for p in pages) == 1
        assert sum("Appel clos : voici son bilan." in p for p in pages) == 1
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(RollCallLog).where(
                RollCallLog.rollcall_id == second, RollCallLog.action == "closed")) == 1
            assert s.get(RollCall, second).summary["counts"]["total"] == 1
    finally:
        app.registry["dbsession_factory"] = saved
        _cleanup(factory, ids)
        engine.dispose()
