"""Who reaches the mairie's pages: agents of the commune with their second factor, nobody else."""
from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from mairie_world import chessy_with_mairie
from outsiders import outsider, sign_in_as
from vvs_core.models import Community
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401

MONTH = "2026-05"
GET_ROUTES = ["/mairie/{insee}", "/mairie/{insee}/activite.json", "/mairie/{insee}/mes-alertes",
              "/mairie/{insee}/alertes/nouvelle", "/mairie/{insee}/communications", "/mairie/{insee}/alertes/1",
              "/mairie/{insee}/alertes/1.cap.xml", "/mairie/{insee}/alertes/1/preuve.csv",
              "/mairie/{insee}/alertes/1/preuve.pdf", "/mairie/{insee}/preuve/verifier",
              f"/mairie/{{insee}}/rapport/{MONTH}", f"/mairie/{{insee}}/rapport/{MONTH}.pdf",
              f"/mairie/{{insee}}/rapport/{MONTH}.csv", "/mairie/{insee}/signalements/1",  # mairie_follow
              "/mairie/{insee}/referents", "/mairie/{insee}/referents/1",
              "/mairie/{insee}/guichet"]  # mairie_desk
POST_ROUTES = ["/mairie/{insee}/signalements/1/pris-en-compte", "/mairie/{insee}/signalements/1",
               "/mairie/{insee}/alertes/nouvelle",
               "/mairie/{insee}/communications", "/mairie/{insee}/mes-alertes", "/mairie/{insee}/preuve/verifier",
               "/mairie/{insee}/referents/1", "/mairie/{insee}/guichet",
               "/mairie/{insee}/guichet/1/session", "/mairie/{insee}/guichet/1/remise"]  # mairie_desk_start, _handover


@pytest.fixture
def other_commune(dbsession, app_registry, make_user):
    from vvs_core.geo import square_around

    commune_b = chessy_with_mairie(dbsession)
    community = Community(commune_id=commune_b.id, name="Chessy centre", boundary=square_around((2.77, 48.87), 300))
    dbsession.add(community)
    agent_b = make_user()
    _agent, secret = enrol_agent(dbsession, app_registry.settings, agent_b, commune_b)
    dbsession.flush()
    return commune_b, agent_b, secret


def _codes(testapp, insee):
    out = {}
    for route in GET_ROUTES:
        url = route.format(insee=insee)
        out[url] = testapp.get(url, expect_errors=True).status_int
    for route in POST_ROUTES:
        url = route.format(insee=insee)
        out["POST " + url] = testapp.post_csrf(url, {}, expect_errors=True).status_int
    return out


def test_agent_reaches_own_commune_only(testapp, mairie, agent_login, other_commune):
    agent_login(testapp, mairie)
    own = _codes(testapp, "77449")
    assert all(code in (200, 303, 400, 404) for url, code in own.items()), own  # 404: unknown alert id
    assert own["/mairie/77449"] == 200 and own["/mairie/77449/activite.json"] == 200
    assert set(_codes(testapp, "77111").values()) == {403}
    testapp.get("/mairie/99999", status=404)


def test_agent_without_second_factor_reaches_nothing(testapp, mairie):
    testapp.login(mairie.agent_user)
    assert set(_codes(testapp, "77449").values()) == {403}


def test_agent_of_other_commune_with_second_factor_sees_nothing(testapp, mairie, other_commune):
    _commune_b, agent_b, secret = other_commune
    testapp.login(agent_b)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    assert set(_codes(testapp, "77449").values()) == {403}
    testapp.get("/mairie/77111", status=200)


@pytest.mark.parametrize("who", ["resident", "pending", "referent", "moderator", "admin"])
def test_residents_and_staff_never_reach_a_mairie_page(testapp, dbsession, mairie, make_user, who):
    sign_in_as(testapp, who, dbsession, make_user, mairie)
    assert set(_codes(testapp, "77449").values()) == {403}
    testapp.get("/mairie", status=404)
    testapp.get("/mairie/2fa", status=404)
    testapp.get("/mairie/2fa/activer", status=404)
    testapp.get("/mairie/guichet/fin", status=404)  # mairie_desk_end: nobody acts for anyone here
    testapp.post_csrf("/mairie/guichet/fin", {}, status=404)
    expected_admin = 200 if who == "admin" else 403
    testapp.get("/mairie/admin", status=expected_admin)
    testapp.get("/mairie/admin/77449", status=301 if who == "admin" else 403)  # to /admin/communes/77449


def test_anonymous_is_sent_to_login(testapp, mairie):
    for url in ["/mairie", "/mairie/2fa", "/mairie/2fa/activer", "/mairie/77449", "/mairie/admin", "/mairie/guichet/fin",
                "/convaincre-ma-mairie", "/convaincre-ma-mairie/presentation.pdf", f"/mairie/77449/rapport/{MONTH}.pdf"]:
        assert "/connexion" in testapp.get(url, status=302).location
    testapp.get("/mairie/invitation/not-a-token", status=404)  # anyone may open a link; an unknown one says so


def test_agent_of_commune_a_sees_no_hidden_data_of_b(testapp, dbsession, mairie, agent_login, other_commune):
    agent_login(testapp, mairie)
    chessy = dbsession.scalar(select(Community).where(Community.name == "Chessy centre"))
    assert "Chessy" not in testapp.get("/mairie/77449").text
    assert "Chessy" not in testapp.get("/mairie/77449/activite.json").text
    testapp.post_csrf("/mairie/77449/alertes/nouvelle", {"category": "meteo", "title": "t", "target": "communities",
                                                          "communities": str(chessy.id)}, status=400)
    # a residents' alert of Chessy cannot be followed nor acknowledged through Serris
    import uuid
    from datetime import timedelta

    from vvs_alerts.models import Alert
    from vvs_core.clock import utcnow

    now = utcnow()
    theirs = Alert(community_id=chessy.id, commune_id=chessy.commune_id, author_id=mairie.residents[0].id,
                   category="autre", text="Alerte de Chessy", severity="minor", created_at=now, published_at=now,
                   expires_at=now + timedelta(hours=2), status="published", idempotency_key=uuid.uuid4().hex)
    dbsession.add(theirs)
    dbsession.flush()
    testapp.get(f"/mairie/77449/signalements/{theirs.id}", status=404)
    testapp.post_csrf(f"/mairie/77449/signalements/{theirs.id}", {"status": "close"}, status=404)
    testapp.post_csrf(f"/mairie/77449/signalements/{theirs.id}/pris-en-compte", status=404)
    # nor can its référents be named through Serris
    testapp.get(f"/mairie/77449/referents/{chessy.id}", status=404)
    testapp.post_csrf(f"/mairie/77449/referents/{chessy.id}", {"action": "nommer", "user_id": "1"}, status=404)
    testapp.get(f"/mairie/77449/referents/{mairie.community.id}", status=200)


def test_convince_needs_a_resident(testapp, mairie, make_user):
    testapp.login(make_user())
    testapp.get("/convaincre-ma-mairie", status=403)
    testapp.reset()
    testapp.login(mairie.residents[0])
    testapp.get("/convaincre-ma-mairie", status=200)


PLATFORM_POSTS = ["/mairie/admin/77449/abonnement", "/mairie/admin/77449/agents",
                  "/mairie/admin/77449/agents/{agent}/retrait",
                  "/mairie/admin/77449/agents/{agent}/double-authentification"]


@pytest.mark.parametrize("who", ["anonymous", "resident", "agent", "moderator", "admin"])
def test_platform_actions_on_a_mairie_by_role(testapp, dbsession, mairie, agent_login, make_user, who):
    """mairie_admin_subscription, mairie_admin_invite, mairie_admin_agent_remove,
    mairie_admin_agent_second_factor: the platform team only; an agent of the commune
    cannot remove a colleague nor reset a second factor; nothing changes for the others."""
    from vvs_core.models import CommunityEvent

    if who == "agent":
        agent_login(testapp, mairie)
    elif who != "anonymous":
        testapp.login(make_user(is_moderator=who == "moderator", is_admin=who == "admin"))
    params = {"reason": "Contrôle des droits d'accès.", "etat": "1:1", "email": "agent.neuf@example.test",
              "role": "agent", "subscribed": "true"}
    codes = [testapp.post_csrf(url.format(agent=mairie.agent.id), params, expect_errors=True).status_int
             for url in PLATFORM_POSTS]
    dbsession.expire_all()
    journaled = dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.kind.like("mairie_admin_%"))).all()
    if who == "admin":
        # subscription: nothing changed (400); invitation, removal: done (303); the agent is
        # removed before the reset, which is then refused in French (400)
        assert codes == [400, 303, 303, 400], codes
        assert sorted(journaled) == ["mairie_admin_agent_invited", "mairie_admin_agent_removed"]
    else:
        assert codes == [403] * 4, codes
        assert journaled == [] and mairie.agent.active and mairie.agent.totp_confirmed_at is not None


def test_messaging_for_agents_with_their_second_factor_only(testapp, mairie, agent_login):
    testapp.login(mairie.agent_user)
    for url in ("/messagerie", "/messagerie/nouveau", "/messagerie/signalements"):
        testapp.get(url, status=403)
    testapp.reset()
    agent_login(testapp, mairie)
    testapp.get("/messagerie", status=200)
    testapp.get("/messagerie/nouveau", status=200)
    testapp.get("/messagerie/signalements", status=403)  # moderators' page


# --- The mairie's API (/api/v1/communes/{insee}/…) ---------------------------------

API_ROUTES = ["/api/v1/communes/{insee}/alerts",            # api_commune_alerts
              "/api/v1/communes/{insee}/activity",          # api_commune_activity
              "/api/v1/communes/{insee}/acknowledgement"]   # api_commune_acknowledgement


def _api_codes(testapp, insee, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    out = {}
    for route in API_ROUTES:
        answer = testapp.get(route.format(insee=insee), headers=headers, expect_errors=True)
        key = "error" if answer.status_int >= 400 else "month" if "acknowledgement" in route else "items"
        assert key in answer.json, answer.text[:300]
        out[route] = answer.status_int
    return set(out.values())


@pytest.mark.parametrize("who", ["resident", "pending", "referent", "moderator", "admin"])
def test_mairie_api_refuses_residents_and_staff(testapp, dbsession, mairie, make_user, who):
    from vvs_api.tokens import issue_api_token

    user = outsider(who, dbsession, make_user, mairie)
    token = issue_api_token(dbsession, user, "authz")[1]
    assert _api_codes(testapp, "77449", token) == {403}
    assert _api_codes(testapp, "9" * 30, token) == {404}
    testapp.login(user)  # and with the site's session
    assert _api_codes(testapp, "77449") == {403}


def test_mairie_api_for_agents(testapp, dbsession, mairie, agent_login, other_commune):
    from vvs_mairie.testing import token_from_page

    assert _api_codes(testapp, "77449") == {401}                       # anonymous
    assert _api_codes(testapp, "abcde") == {404}
    testapp.login(mairie.agent_user)                                    # password only
    assert _api_codes(testapp, "77449") == {403}
    early = token_from_page(testapp, "avant la double authentification")
    assert _api_codes(testapp, "77449", early) == {403}
    agent_login(testapp, mairie)                                        # second factor passed: the session
    assert _api_codes(testapp, "77449") == {200}
    assert _api_codes(testapp, "77111") == {403}                        # another commune's
    token = token_from_page(testapp)
    assert _api_codes(testapp, "77449", token) == {200}                 # a token made after it
    assert _api_codes(testapp, "77111", token) == {403}
    assert _api_codes(testapp, "9" * 30, token) == {404}
    assert _api_codes(testapp, "1234", token) == {404}
    _commune_b, agent_b, secret = other_commune                         # Chessy's agent, second factor passed
    testapp.login(agent_b)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    token_b = token_from_page(testapp)
    assert _api_codes(testapp, "77449", token_b) == {403}
    assert _api_codes(testapp, "77111", token_b) == {200}


@pytest.mark.parametrize("who", ["anonymous", "resident", "agent"])
def test_a_commune_alert_public_page_is_public_and_read_only(testapp, dbsession, mairie, agent_login, make_user,
                                                             other_commune, who):
    """/avis/{insee}/{id}: the page the alert's SMS links to, for anyone (no personal data on it); only a
    commune alert of that commune; nothing to post."""
    from vvs_mairie.models import MairieAlert

    alert = MairieAlert(commune_id=mairie.commune.id, kind="alert", category="meteo", title="Orages", body="",
                        author_id=mairie.agent_user.id)
    dbsession.add(alert)
    dbsession.flush()
    if who == "resident":
        testapp.login(mairie.residents[0])
    elif who == "agent":
        agent_login(testapp, mairie)
    page = testapp.get(f"/avis/77449/{alert.id}", status=200)
    assert "Orages" in page.text and mairie.agent_user.last_name not in page.html.find("main").get_text()
    testapp.get(f"/avis/77111/{alert.id}", status=404)  # other_commune: Chessy
    assert testapp.post(f"/avis/77449/{alert.id}", expect_errors=True).status_int in (400, 403, 404, 405)


@pytest.mark.parametrize("who", ["anonymous", "resident", "agent"])
def test_the_messages_stop_link_is_the_only_credential(testapp, dbsession, mairie, agent_login, who):
    """/mairie/messages/arret/{token}: anyone holding a resident's link stops that resident's
    messages (and only theirs); a wrong token, whoever sends it, changes nobody."""
    from vvs_mairie.messages import stop_token

    if who == "resident":
        testapp.login(mairie.residents[1])
    elif who == "agent":
        agent_login(testapp, mairie)
    target = mairie.residents[0]
    wrong = stop_token({"vvs.secret": "not the site's secret"}, mairie.residents[1].id)
    testapp.get(f"/mairie/messages/arret/{wrong}", status=200)
    testapp.post(f"/mairie/messages/arret/{wrong}", {}, status=200)
    for user in mairie.residents:
        dbsession.refresh(user)
        assert "mairie_message" not in (user.notification_prefs or {})
    testapp.post(f"/mairie/messages/arret/{stop_token(testapp.app.registry, target.id)}", {},
                 status=200)
    dbsession.refresh(target)
    dbsession.refresh(mairie.residents[1])
    assert target.notification_prefs["mairie_message"] == []
    assert "mairie_message" not in (mairie.residents[1].notification_prefs or {})
