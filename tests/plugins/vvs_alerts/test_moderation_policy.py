"""Pre-moderation per commune and per community instead of one server-wide switch; the
commune's rule for urgent alerts of trusted authors; the mairie told when an alert
waits; the queue shows how long each alert has waited."""
import uuid
from datetime import timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from vvs_alerts.models import Alert, ModerationPolicy
from vvs_core.clock import utcnow
from vvs_core.geo import square_around
from vvs_core.models import Commune, Community, Membership, Notification
from vvs_core.plugins import hookimpl
from vvs_mairie.testing import agent_login, mairie  # noqa: F401


@pytest.fixture
def two_communes(dbsession, mairie, make_user):
    """Serris (subscribed mairie, its agent) and Chessy next door, each with a community."""
    chessy = Commune(insee="77085", name="Chessy", postcodes=["77700"], centre=Point(2.77, 48.87))
    dbsession.add(chessy)
    dbsession.flush()
    chessy_people = [make_user(), make_user()]
    other = Community(commune_id=chessy.id, name="Chessy centre", boundary=square_around((2.77, 48.87), 300))
    dbsession.add(other)
    dbsession.flush()
    for user in chessy_people:
        dbsession.add(Membership(user_id=user.id, community_id=other.id, status="active"))
    referent = make_user(first_name="Rémi")
    dbsession.add(Membership(user_id=referent.id, community_id=mairie.community.id, status="active", role="referent"))
    dbsession.flush()
    return chessy, other, chessy_people, referent


def _post(post, author, community, severity="moderate"):
    return post(author, community, severity=severity, idempotency_key=uuid.uuid4().hex)


def test_pre_moderation_for_one_commune_only_and_its_mairie_told(testapp, dbsession, mairie, agent_login,
                                                                  two_communes, post, app):
    chessy, other, chessy_people, referent = two_communes
    assert app.registry.settings["vvs.alerts.moderation"] == "post"
    agent_login(testapp, mairie)
    page = testapp.get("/alertes/moderation/commune/77449")
    form = next(f for f in page.forms.values() if "mode" in f.fields)
    form["mode"] = "pre"
    form.submit().follow()
    assert dbsession.scalar(select(ModerationPolicy.mode).where(ModerationPolicy.commune_id == mairie.commune.id)) == "pre"
    held = _post(post, mairie.residents[0], mairie.community)
    sent = _post(post, chessy_people[0], other)
    assert (held.status, sent.status) == ("held", "published")
    told = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_alert_held")).all()
    assert [(n.recipient_id, n.channel) for n in told] == [(mairie.agent_user.id, "email")]
    assert held.text in told[0].body and f"/mairie/77449/signalements/{held.id}" in told[0].body
    # the référent is told too, as before
    assert dbsession.scalars(select(Notification).where(Notification.kind == "alert_held",
                                                        Notification.recipient_id == referent.id)).all()


def test_a_community_chooses_otherwise_than_its_commune(dbsession, mairie, two_communes, post, make_community):
    chessy, other, chessy_people, _referent = two_communes
    dbsession.add_all([ModerationPolicy(commune_id=chessy.id, mode="pre"),
                       ModerationPolicy(community_id=other.id, mode="post"),
                       ModerationPolicy(community_id=mairie.community.id, mode="pre")])
    dbsession.flush()
    assert _post(post, chessy_people[0], other).status == "published"       # community: post
    assert _post(post, mairie.residents[0], mairie.community).status == "held"  # community: pre, commune: default


class PassedVerification:
    def __init__(self, user_id):
        self.user_id = user_id

    @hookimpl
    def vvs_verification_methods(self, request, user):
        return [type("Passed", (), {"name": "test", "status": lambda _s, u: "passed" if u.id == self.user_id else "none"})()]


def test_urgent_alerts_of_trusted_authors_go_out_at_once(dbsession, mairie, two_communes, post, app_registry):
    _chessy, _other, _people, referent = two_communes
    verified, plain = mairie.residents[0], mairie.residents[1]
    policy = ModerationPolicy(commune_id=mairie.commune.id, mode="pre", trusted_urgent="none")
    dbsession.add(policy)
    dbsession.flush()
    assert _post(post, referent, mairie.community, "severe").status == "held"
    policy.trusted_urgent = "referents"
    dbsession.flush()
    assert _post(post, referent, mairie.community, "severe").status == "published"
    assert _post(post, referent, mairie.community, "moderate").status == "held"  # not urgent
    assert _post(post, verified, mairie.community, "severe").status == "held"   # not a référent
    policy.trusted_urgent = "verified"
    dbsession.flush()
    app_registry.vvs_plugins.register(PassedVerification(verified.id), name="test-passed-verification")
    try:
        assert _post(post, verified, mairie.community, "severe").status == "published"
        assert _post(post, plain, mairie.community, "severe").status == "held"
    finally:
        app_registry.vvs_plugins.unregister(name="test-passed-verification")


def test_vvs_alert_held(app_registry, dbsession, mairie, alert_request):
    """The mairie's answer: an e-mail to each agent, once per alert."""
    now = utcnow()
    alert = Alert(community_id=mairie.community.id, commune_id=mairie.commune.id, author_id=mairie.residents[0].id,
                  category="autre", text="Attente « longue » 😴", severity="minor", created_at=now,
                  expires_at=now + timedelta(hours=2), status="held", idempotency_key=uuid.uuid4().hex)
    dbsession.add(alert)
    dbsession.flush()
    for _ in range(2):
        app_registry.vvs_plugins.hook.vvs_alert_held(request=alert_request, alert=alert)
    rows = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_alert_held")).all()
    assert len(rows) == 1 and "Attente « longue » 😴" in rows[0].body


def test_policy_page_refuses_bad_values_and_changes_nothing(testapp, dbsession, mairie, agent_login, two_communes):
    chessy, other, _people, _referent = two_communes
    agent_login(testapp, mairie)
    url = "/alertes/moderation/commune/77449"
    for bad, message in (({"mode": "toujours"}, "Choisissez pré-modération, post-modération"),
                         ({"mode": "pre", "trusted_urgent": "tout le monde"}, "Choisissez une règle"),
                         ({"mode": "pre", f"community-{mairie.community.id}": "jamais"}, "Mode inconnu pour la communauté")):
        answer = testapp.post_csrf(url, bad, status=400)
        assert message in answer.text
    assert dbsession.scalars(select(ModerationPolicy)).all() == []
    # another commune's page: not for this agent
    testapp.get(f"/alertes/moderation/commune/{chessy.insee}", status=403)
    testapp.get("/alertes/moderation/commune/99999", status=404)
    testapp.get("/alertes/moderation/commune/%3Cscript%3E", status=404)
    ok = testapp.post_csrf(url, {"mode": "pre", "trusted_urgent": "referents",
                                 f"community-{mairie.community.id}": "post"}, status=303).follow()
    assert "Réglages de modération enregistrés" in ok.text
    modes = {(p.commune_id, p.community_id): (p.mode, p.trusted_urgent) for p in dbsession.scalars(select(ModerationPolicy))}
    assert modes == {(mairie.commune.id, None): ("pre", "referents"), (None, mairie.community.id): ("post", "none")}


def test_the_queue_shows_how_long_each_alert_waited(testapp, dbsession, mairie, two_communes, make_user, clock):
    moderator = make_user(is_moderator=True)
    now = utcnow()
    dbsession.add(Alert(community_id=mairie.community.id, commune_id=mairie.commune.id,
                        author_id=mairie.residents[0].id, category="autre", text="Attend depuis longtemps",
                        severity="minor", created_at=now - timedelta(minutes=25),
                        expires_at=now + timedelta(hours=2), status="held", idempotency_key=uuid.uuid4().hex))
    dbsession.flush()
    testapp.login(moderator)
    assert "en attente depuis 25 minutes" in testapp.get("/alertes/moderation").text


def test_the_queue_shows_each_communitys_own_mode(testapp, dbsession, app, mairie, two_communes, make_community,
                                                  make_user, monkeypatch):
    """Walk (staff) 13: the queue said « post-modération » (the server's default) after a
    community had chosen pre-moderation; it now shows the mode in force and whose choice it is."""
    monkeypatch.setitem(app.registry.settings, "vvs.alerts.moderation", "post")
    chessy, other, chessy_people, referent = two_communes
    mairie.community.name = "Le Bourg d’Été"
    quiet = make_community(name="Cœur de Serris « Val » 🌳", referents=[referent])
    dbsession.add_all([ModerationPolicy(community_id=mairie.community.id, mode="pre"),
                       ModerationPolicy(commune_id=chessy.id, mode="pre")])
    now = utcnow()
    for community, author in ((other, chessy_people[0]), (mairie.community, mairie.residents[0])):
        dbsession.add(Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                            category="autre", text=f"Vélo volé à {community.name}", severity="minor",
                            created_at=now, expires_at=now + timedelta(hours=2), status="held",
                            idempotency_key=uuid.uuid4().hex))
    dbsession.flush()
    testapp.login(referent)
    page = testapp.get("/alertes/moderation")
    modes = [li.get_text(" ", strip=True) for li in page.html.find(id="h-modes").find_next("ul").find_all("li")]
    assert modes == ["Cœur de Serris « Val » 🌳 : post-modération (réglage du serveur)",
                     "Le Bourg d’Été : pré-modération (choix de la communauté)"]
    assert "Le Bourg d’Été, pré-modération (choix de la communauté)" in page.text
    assert "Chessy centre" not in page.text  # not his community
    testapp.post_csrf("/deconnexion")
    testapp.login(make_user(is_moderator=True))
    page = testapp.get("/alertes/moderation")
    assert "Chessy centre, pré-modération (choix de la commune)" in page.text
    assert "Le Bourg d’Été, pré-modération (choix de la communauté)" in page.text
    assert page.html.find(id="h-modes") is None  # a moderator of the whole server: the mode on each alert
