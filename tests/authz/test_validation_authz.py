"""Sign-up and validation routes × roles.

Routes: signup, signup_map, signup_confirm, signup_account, signup_email_confirm (public,
see public_views.txt), signup_community, signup_communities_json, signup_join,
signup_create, signup_referent, activation (signed-in users), community_requests and
community_request_decide (who decides in the community's mode), admin_requests and
admin_request_decide (the platform team only).
"""
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from vvs_core.models import Commune, Membership
from vvs_core.testing import DEMO_PASSWORD, SERRIS


@pytest.fixture
def world(dbsession, make_user, make_community, commune, agents):
    """A community in referent mode with a pending request, and one user per role."""
    from shapely.geometry import Point

    other_commune = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.76, 48.87))
    dbsession.add(other_commune)
    dbsession.flush()
    roles = {name: make_user() for name in
             ("referent", "member", "pending", "non_member", "other_member", "other_referent",
              "agent", "other_agent", "moderator", "admin")}
    roles["moderator"].is_moderator = True
    roles["admin"].is_admin = True
    community = make_community("Le Bourg", members=[roles["member"]], referents=[roles["referent"]])
    other = make_community("Ailleurs", centre=(2.80, 48.85), members=[roles["other_member"]],
                           referents=[roles["other_referent"]])
    dbsession.add(Membership(user_id=roles["pending"].id, community_id=community.id, status="pending"))
    dbsession.flush()
    agents[roles["agent"].id] = "77449"
    agents[roles["other_agent"].id] = "77111"
    pending = dbsession.scalar(select(Membership).where(Membership.user_id == roles["pending"].id))
    return {"roles": roles, "community": community, "other": other, "pending": pending}


def token(testapp):
    return re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/charte").text).group(1)


def refuse(testapp, url, status):
    return testapp.post(url, {"decision": "refuse", "reason": "test", "csrf_token": token(testapp)}, status=status)


QUEUE_ACCESS = {
    # mode → roles that may open the community's queue and decide
    "referent": {"referent", "admin"},
    "mairie": {"agent", "admin"},
    "platform": {"admin"},
}
ROLES = ("referent", "member", "pending", "non_member", "other_member", "other_referent",
         "agent", "other_agent", "moderator", "admin")
# Argon2 at its production cost takes long on a busy machine: these accounts sign in
# with a hash made at a tiny cost (the parameters travel inside the hash).
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DEMO_PASSWORD)


def sign_in_as(testapp, dbsession, user):
    user.password_hash = CHEAP_HASH
    dbsession.flush()
    testapp.reset()
    testapp.login(user)


def reopen(dbsession, membership_id):
    dbsession.expire_all()
    membership = dbsession.get(Membership, membership_id)
    status = membership.status
    membership.status = "pending"
    dbsession.flush()
    return status


@pytest.mark.parametrize("mode", ["referent", "mairie", "platform"])
def test_community_queue_by_role_and_mode(testapp, world, dbsession, mode):
    # routes: community_requests, community_request_decide
    community = world["community"]
    community.validation_mode = mode
    dbsession.flush()
    queue = f"/communaute/{community.id}/demandes"
    seen = {}
    for role in ROLES:
        sign_in_as(testapp, dbsession, world["roles"][role])
        opened = testapp.get(queue, status="*").status_int
        decided = refuse(testapp, f"{queue}/{world['pending'].id}", "*").status_int
        seen[role] = (opened, decided, reopen(dbsession, world["pending"].id))
    expected = {role: (200, 303, "rejected") if role in QUEUE_ACCESS[mode] else (403, 403, "pending") for role in ROLES}
    assert seen == expected


def test_community_queue_anonymous(testapp, world):
    queue = f"/communaute/{world['community'].id}/demandes"
    assert "/connexion" in testapp.get(queue, status=302).headers["Location"]
    testapp.post(f"{queue}/{world['pending'].id}", {"decision": "refuse"}, status=403)


def test_a_referent_cannot_decide_another_communitys_request_through_his_own(testapp, world, dbsession):
    sign_in_as(testapp, dbsession, world["roles"]["other_referent"])
    url = f"/communaute/{world['other'].id}/demandes/{world['pending'].id}"
    refuse(testapp, url, 404)


def test_unknown_community_or_request(testapp, world, dbsession):
    sign_in_as(testapp, dbsession, world["roles"]["admin"])
    testapp.get("/communaute/999999/demandes", status=404)
    testapp.get("/communaute/abc/demandes", status=404)
    refuse(testapp, f"/communaute/{world['community'].id}/demandes/999999", 404)
    refuse(testapp, "/admin/demandes/999999", 404)


def test_platform_queue_is_for_the_platform_team(testapp, world, dbsession):
    # routes: admin_requests, admin_request_decide
    seen = {}
    for role in ROLES:
        sign_in_as(testapp, dbsession, world["roles"][role])
        opened = testapp.get("/admin/demandes", status="*").status_int
        decided = refuse(testapp, f"/admin/demandes/{world['pending'].id}", "*").status_int
        seen[role] = (opened, decided, reopen(dbsession, world["pending"].id))
    assert seen == {role: (200, 303, "rejected") if role == "admin" else (403, 403, "pending") for role in ROLES}


def test_platform_queue_anonymous(testapp, world):
    assert "/connexion" in testapp.get("/admin/demandes", status=302).headers["Location"]
    testapp.post(f"/admin/demandes/{world['pending'].id}", {"decision": "refuse"}, status=403)


SIGNED_IN_GET = ["/activation", "/inscription/communaute", "/inscription/communautes.json", "/inscription/referent"]


@pytest.mark.parametrize("path", SIGNED_IN_GET)
def test_signed_in_pages_send_anonymous_visitors_to_login(testapp, path):
    # routes: activation, signup_community, signup_communities_json, signup_referent
    assert "/connexion" in testapp.get(path, status=302).headers["Location"]


@pytest.mark.parametrize("path", ["/inscription/rejoindre", "/inscription/creer", "/inscription/referent"])
def test_signed_in_actions_refuse_anonymous_visitors(testapp, path):
    # routes: signup_join, signup_create, signup_referent
    testapp.post(path, {}, status=403)


def test_signed_in_pages_by_role(testapp, world, dbsession):
    from shapely.geometry import Point

    for role in ("pending", "member", "non_member", "admin"):
        user = world["roles"][role]
        user.home = Point(*SERRIS)
        sign_in_as(testapp, dbsession, user)
        assert testapp.get("/activation").status_int == 200
        assert testapp.get("/inscription/communaute").status_int == 200
        assert testapp.get("/inscription/communautes.json").json["type"] == "FeatureCollection"


def test_joining_a_community_of_another_commune_is_refused(testapp, world, dbsession):
    from shapely.geometry import Point

    from vvs_core import geo
    from vvs_core.models import Community

    user = world["roles"]["non_member"]
    user.home = Point(*SERRIS)
    chessy = dbsession.scalar(select(Commune).where(Commune.insee == "77111"))
    far = Community(commune_id=chessy.id, name="Chessy centre", boundary=geo.square_around((2.76, 48.87), 300))
    dbsession.add(far)
    sign_in_as(testapp, dbsession, user)
    testapp.post_csrf("/inscription/rejoindre", {"community_id": str(far.id)}, status=404)
    testapp.post_csrf("/inscription/rejoindre", {"community_id": "abc"}, status=404)


PUBLIC_SIGNUP = ["/inscription", "/inscription/position", "/inscription/confirmation", "/inscription/compte",
                 "/inscription/confirmer/jeton-inconnu"]


@pytest.mark.parametrize("path", PUBLIC_SIGNUP)
def test_public_signup_pages_answer_anonymous_visitors(testapp, commune, path):
    # routes: signup, signup_map, signup_confirm, signup_account, signup_email_confirm
    assert testapp.get(path, status="*").status_int in (200, 303)
