"""Jumelages routes × roles: members read their community's twinnings; only its
référents propose, answer (the invited side only) and end; nobody else reaches them.

Routes: twinning_index (GET /jumelages/communaute/{id}), twinning_propose (POST …/proposer),
twinning_accept (POST …/{twinning_id}/accepter), twinning_decline (POST …/{twinning_id}/refuser),
twinning_end (POST …/{twinning_id}/terminer).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from vvs_core.geo import from_l93, to_l93
from vvs_core.models import Membership
from vvs_core.testing import SERRIS

from vvs_twinning.models import Twinning, pair_key


def east(metres):
    p = to_l93(Point(*SERRIS))
    return from_l93(Point(p.x + metres, p.y)).coords[0]


@pytest.fixture
def world(make_user, make_community, dbsession):
    referent, member, pending, stranger = make_user(), make_user(), make_user(), make_user()
    other_referent, other_member = make_user(), make_user()
    moderator, admin = make_user(is_moderator=True), make_user(is_admin=True)
    here = make_community("Ici", members=[member], referents=[referent])
    there = make_community("Là", centre=east(800), members=[other_member], referents=[other_referent])
    third = make_community("Tiers", centre=east(-800), referents=[make_user()])  # someone there can answer
    dbsession.add(Membership(user_id=pending.id, community_id=here.id, status="pending"))
    proposal = Twinning(community_a_id=there.id, community_b_id=here.id, proposed_by_id=other_referent.id,
                        status="proposed", open_pair=pair_key(there.id, here.id))
    dbsession.add(proposal)
    dbsession.flush()
    return dict(here=here, there=there, third=third, proposal=proposal, referent=referent, member=member,
                pending=pending, stranger=stranger, other_referent=other_referent, other_member=other_member,
                moderator=moderator, admin=admin)


def status_of(dbsession, twinning) -> str:
    dbsession.refresh(twinning)
    return twinning.status


def posts(world, community="here"):
    base = f"/jumelages/communaute/{world[community].id}"
    t = world["proposal"].id
    return [(base + "/proposer", {"community": world["third"].id}), (base + f"/{t}/accepter", {}),
            (base + f"/{t}/refuser", {}), (base + f"/{t}/terminer", {})]


def index(world, community="here"):
    return f"/jumelages/communaute/{world[community].id}"


def test_anonymous(testapp, world):
    assert "/connexion" in testapp.get(index(world), status=302).location
    for url, params in posts(world):
        testapp.post(url, params, status=403)  # no session, no CSRF token


@pytest.mark.parametrize("role, index_status", [
    ("stranger", 403), ("pending", 403), ("member", 200), ("other_member", 403), ("other_referent", 403),
    ("moderator", 403), ("admin", 200)])
def test_everyone_but_the_referents_is_refused_the_actions(testapp, world, dbsession, role, index_status):
    testapp.login(world[role])
    testapp.get(index(world), status=index_status)
    if role == "admin":
        return  # the platform team holds every permission (a référent's test below covers the actions)
    for url, params in posts(world):
        testapp.post_csrf(url, params, status=403)
    assert status_of(dbsession, world["proposal"]) == "proposed"


def test_referent_of_the_invited_community(testapp, world, dbsession):
    proposal = world["proposal"]
    testapp.login(world["referent"])
    testapp.get(index(world), status=200)
    testapp.post_csrf(index(world) + f"/{proposal.id}/accepter", status=303)
    assert status_of(dbsession, proposal) == "active"
    testapp.post_csrf(index(world) + f"/{proposal.id}/terminer", status=200)  # an active one: asked first
    assert status_of(dbsession, proposal) == "active"
    testapp.post_csrf(index(world) + f"/{proposal.id}/terminer", {"__formid__": "confirmation"}, status=303)
    testapp.post_csrf(index(world) + "/proposer", {"community": world["third"].id}, status=303)
    testapp.post_csrf(index(world) + "/999999/accepter", status=404)
    testapp.post_csrf(index(world) + "/abc/refuser", status=404)
    testapp.get(index(world, "there"), status=403)  # still no page of the other community


def test_referent_of_the_proposing_community(testapp, world, dbsession):
    proposal = world["proposal"]
    testapp.login(world["other_referent"])
    testapp.get(index(world, "there"), status=200)
    for url, _params in posts(world, "there")[1:3]:  # its own proposal: no accepting, no declining
        testapp.post_csrf(url, status=403)
    testapp.post_csrf(index(world, "there") + f"/{proposal.id}/terminer", status=303)  # withdrawn
    assert status_of(dbsession, proposal) == "ended"
    third = f"/jumelages/communaute/{world['third'].id}"
    testapp.post_csrf(third + f"/{proposal.id}/terminer", status=403)
