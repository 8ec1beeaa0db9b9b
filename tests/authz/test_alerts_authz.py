"""Who may open each alert route: anonymous, non-member, pending member, member and
référent of another community, member, author, référent, moderator, mairie-less admin.
And who receives the alert: only its community (and hook recipients)."""
import pytest
from sqlalchemy import select

from vvs_core.models import Notification
from vvs_core.testing import run_tasks
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

from outsiders import published_alert, role_world


@pytest.fixture
def world(dbsession, make_user, make_community, app):
    from vvs_alerts.feeds import issue_feed_token

    u, community = role_world(dbsession, make_user, make_community, "author")
    alert = published_alert(community, u["author"], "Cambriolage au 5 rue de Lagny cet après-midi.")
    dbsession.add(alert)
    dbsession.flush()
    token = issue_feed_token(dbsession, community.id, u["member"].id)
    dbsession.flush()
    return u, community, alert, token


# (method, path template, expected status per role); None = anonymous.
ROLES = ("anonymous", "non_member", "pending", "other_member", "other_referent", "member", "author", "referent",
         "moderator", "admin")
OK, SEE, DENY, LOGIN, NF = 200, 303, 403, 302, 404
MATRIX = [
    ("GET", "/alertes", (LOGIN, DENY, DENY, SEE, SEE, SEE, SEE, SEE, DENY, NF)),  # alerts_home: to one's community's alerts
    ("GET", "/alertes/nouvelle", (LOGIN, DENY, DENY, OK, OK, OK, OK, OK, DENY, NF)),  # admin: no community to post to
    ("POST", "/alertes/nouvelle/sms", (DENY, DENY, DENY, OK, OK, OK, OK, OK, DENY, NF)),  # the SMS counter
    ("GET", "/alertes/moderation", (LOGIN, DENY, DENY, DENY, OK, DENY, DENY, OK, OK, OK)),
    ("GET", "/alertes/{a}", (LOGIN, DENY, DENY, DENY, DENY, OK, OK, OK, OK, OK)),
    ("GET", "/alertes/{a}/portee", (LOGIN, DENY, DENY, DENY, DENY, DENY, OK, OK, OK, OK)),  # alert_reach (live delivery)
    ("GET", "/alertes/{a}.cap.xml", (LOGIN, DENY, DENY, DENY, DENY, OK, OK, OK, OK, OK)),
    ("POST", "/alertes/{a}/signaler", (DENY, DENY, DENY, DENY, DENY, SEE, SEE, SEE, DENY, SEE)),
    ("POST", "/alertes/{a}/suivi", (DENY, DENY, DENY, DENY, DENY, DENY, SEE, SEE, SEE, SEE)),
    ("POST", "/alertes/{a}/moderation", (DENY, DENY, DENY, DENY, DENY, DENY, DENY, SEE, SEE, SEE)),
    ("GET", "/alertes/{a}/moderation/historique", (LOGIN, DENY, DENY, DENY, DENY, DENY, DENY, OK, OK, OK)),  # alert_history
    ("GET", "/alertes/moderation/sanctions", (LOGIN, DENY, DENY, DENY, DENY, DENY, DENY, DENY, OK, OK)),  # alerts_sanctions
    ("POST", "/alertes/moderation/sanctions/999", (DENY, DENY, DENY, DENY, DENY, DENY, DENY, DENY, SEE, SEE)),  # alerts_sanction_change
    ("GET", "/alertes/moderation/commune/77449", (LOGIN, DENY, DENY, DENY, DENY, DENY, DENY, DENY, OK, OK)),  # alerts_moderation_policy
    ("POST", "/alertes/moderation/commune/77449", (DENY, DENY, DENY, DENY, DENY, DENY, DENY, DENY, SEE, SEE)),
    ("GET", "/alertes/moderation/membres/{u}", (LOGIN, DENY, DENY, DENY, DENY, DENY, DENY, DENY, OK, OK)),  # alerts_user_history
    ("GET", "/alertes/communaute/{c}", (LOGIN, DENY, DENY, DENY, DENY, OK, OK, OK, DENY, OK)),
    ("POST", "/alertes/communaute/{c}/flux", (DENY, DENY, DENY, DENY, DENY, OK, OK, OK, DENY, OK)),
    ("POST", "/alertes/communaute/{c}/flux/revoquer", (DENY, DENY, DENY, DENY, DENY, SEE, SEE, SEE, DENY, SEE)),
]


def test_alert_routes_matrix(testapp, dbsession, world):
    users, community, alert, token = world
    failures = []
    for index, role in enumerate(ROLES):
        if role != "anonymous":
            testapp.login(users[role])
        for method, template, expected in MATRIX:
            path = template.format(a=alert.id, c=community.id, u=users["author"].id)
            if method == "GET":
                status = testapp.get(path, expect_errors=True).status_int
            else:
                params = {"reason": "Motif de test assez long", "text": "Suite de test assez longue",
                          "kind": "update", "action": "warn", "what": "lift"}
                status = testapp.post_csrf(path, params, expect_errors=True).status_int
            if status != expected[index]:
                failures.append(f"{role} {method} {path}: {status}, expected {expected[index]}")
        testapp.reset()
    # the feed: only with a valid token of this community (the matrix revoked the first)
    from vvs_alerts.feeds import issue_feed_token

    token = issue_feed_token(dbsession, community.id, users["member"].id)
    dbsession.flush()
    assert testapp.get(f"/alertes/communaute/{community.id}/flux/{token}.atom").status_int == 200
    assert testapp.get(f"/alertes/communaute/{community.id}/flux/{token}.cap").status_int == 200
    testapp.get(f"/alertes/communaute/{community.id}/flux/mauvais.atom", status=404)
    testapp.get(f"/alertes/communaute/{community.id + 1}/flux/{token}.atom", status=404)
    assert not failures, "\n".join(failures)


def test_only_the_community_receives_the_alert(app, dbsession, world):
    from vvs_alerts.fanout import fan_out
    from pyramid.scripting import prepare
    import transaction

    users, community, alert, _token = world
    env = prepare(registry=app.registry)
    request = env["request"]
    request.dbsession = dbsession
    request.tm = transaction.TransactionManager(explicit=True)
    request.tm.begin()
    try:
        fan_out(request, alert)
    finally:
        request.tm.abort()
        env["closer"]()
    recipients = set(dbsession.scalars(select(Notification.recipient_id).where(
        Notification.subject_type == "alert", Notification.subject_id == alert.id)))
    assert recipients == {users["member"].id, users["referent"].id}
    run_tasks()


def test_mairie_agent_on_moderation_routes(testapp, dbsession, mairie, agent_login):
    """A mairie agent (second factor passed) reads the alerts of the commune but does not
    moderate them nor sanction people."""
    author = mairie.residents[0]
    alert = published_alert(mairie.community, author, "Voiture garée sur le trottoir devant l'école.",
                            category="autre", severity="minor", hours=2)
    dbsession.add(alert)
    dbsession.flush()
    agent_login(testapp, mairie)
    testapp.get(f"/alertes/{alert.id}", status=200)
    for path in (f"/alertes/{alert.id}/moderation/historique", "/alertes/moderation/sanctions",
                 f"/alertes/moderation/membres/{author.id}", "/alertes/moderation"):
        testapp.get(path, status=403)
    for path in (f"/alertes/{alert.id}/moderation", "/alertes/moderation/sanctions/1"):
        testapp.post_csrf(path, {"action": "warn", "what": "lift", "reason": "Motif"}, status=403)
    # the commune's moderation settings are the agent's (their commune only)
    testapp.get("/alertes/moderation/commune/77449", status=200)
    testapp.post_csrf("/alertes/moderation/commune/77449", {"mode": "post", "trusted_urgent": "none"}, status=303)
    testapp.get("/alertes/moderation/commune/77111", status=404)


def test_who_restores_a_withdrawn_alert(testapp, dbsession, world):
    """« Rétablir » a withdrawn alert (a withdrawal by mistake): its référent, a moderator, an
    administrator — not its author, nor a member, nor anyone else. Each refused attempt
    changes nothing; the first allowed one restores it, the next are told it is not withdrawn."""
    users, _community, alert, _token = world
    alert.status = "withdrawn"
    dbsession.flush()
    expected = {"anonymous": DENY, "non_member": DENY, "pending": DENY, "other_member": DENY, "other_referent": DENY,
                "member": DENY, "author": DENY, "referent": SEE, "moderator": SEE, "admin": SEE}
    failures = []
    for role in ROLES:
        if role != "anonymous":
            testapp.login(users[role])
        status = testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "restore", "reason": "Retrait par erreur"},
                                   expect_errors=True).status_int
        if status != expected[role]:
            failures.append(f"{role}: {status}, expected {expected[role]}")
        dbsession.refresh(alert)
        if expected[role] != SEE and alert.status != "withdrawn":
            failures.append(f"{role} restored it")
        testapp.reset()
    assert alert.status == "published"
    assert not failures, "\n".join(failures)
