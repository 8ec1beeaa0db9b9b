"""Archiving a community from the administration (issue 13.1): a confirmation page, then
the community is off the map (no point falls in it, its territory is free for another),
its members and pending requests let go, its history kept, its invitation links dead;
the journal keeps the reason. Bad input, twice, two administrators (issue 13.5)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from vvs_core import geo
from vvs_admin.communes import ChangedMeanwhile, archive_community
from vvs_invitations.invitations import find_by_code, shared_link
from vvs_core.models import Community, CommunityEvent, Membership
from vvs_core.testing import SERRIS

REASON = "Plus aucun référent depuis un an ; les voisins « ont déménagé »."


@pytest.fixture
def scene(make_user, make_community, dbsession):
    admin = make_user(is_admin=True)
    member, referent, pending = make_user(first_name="Inès"), make_user(first_name="Gérald"), make_user()
    community = make_community("Le Hameau d’Ès", members=[member], referents=[referent])
    dbsession.add(Membership(user_id=pending.id, community_id=community.id, status="pending"))
    dbsession.flush()
    return {"admin": admin, "community": community, "member": member, "pending": pending, "referent": referent}


def url(community):
    return f"/admin/communautes/{community.id}/archivage"


def test_archive_after_a_confirmation_page(testapp, dbsession, scene):
    community = scene["community"]
    link = shared_link(dbsession, community, scene["referent"])
    assert geo.find_community_id_at(dbsession, SERRIS) == community.id
    testapp.login(scene["admin"])
    page = testapp.get(url(community))
    assert "2 membres et 1 demande en attente" in page.text and "Un archivage ne peut pas être annulé." in page.text
    assert community.archived_at is None
    done = testapp.post_csrf(url(community), {"reason": REASON}, status=303).follow()
    assert "est archivée" in done.text and "Communautés archivées" in done.text
    dbsession.expire_all()
    assert community.archived_at is not None
    statuses = dbsession.scalars(select(Membership.status).where(Membership.community_id == community.id)).all()
    assert statuses == ["left", "left", "left"]
    assert geo.find_community_id_at(dbsession, SERRIS) is None
    assert geo.communities_near(dbsession, SERRIS, 500) == []
    assert geo.overlapping_community_ids(dbsession, community.boundary) == []
    assert find_by_code(dbsession, link.code) is None
    event = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_community_archived")).one()
    assert event.data["reason"] == REASON and event.data["membres"] == 2 and event.data["demandes"] == 1
    assert "Communauté archivée" in testapp.get("/admin/journal").text
    # the same form again (a second administrator): one result, a message, no 500
    again = testapp.post_csrf(url(community), {"reason": REASON}, status=409)
    assert "déjà archivé cette communauté" in again.text
    assert len(dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_community_archived"))
               .all()) == 1
    assert "Archiver « Le Hameau d’Ès »" not in testapp.get("/admin/communes/77449").text


@pytest.mark.parametrize("reason, message", [("", "Indiquez le motif"), ("abc", "au moins 5 caractères"),
                                             ("é" * 1001, "ne doit pas dépasser 1000 caractères")])
def test_bad_reason_changes_nothing(testapp, dbsession, scene, reason, message):
    testapp.login(scene["admin"])
    refused = testapp.post_csrf(url(scene["community"]), {"reason": reason}, status=400)
    assert message in refused.text
    dbsession.expire_all()
    assert scene["community"].archived_at is None
    assert geo.find_community_id_at(dbsession, SERRIS) == scene["community"].id


def test_archived_community_is_not_merged(testapp, dbsession, scene, make_community):
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, to_l93

    p = to_l93(Point(*SERRIS))
    other = make_community("Les Prés", centre=from_l93(Point(p.x + 300, p.y)).coords[0])
    request = SimpleNamespace(dbsession=dbsession, registry=testapp.app.registry, user=scene["admin"])
    archive_community(request, scene["community"].id, REASON)
    with pytest.raises(ChangedMeanwhile):
        archive_community(request, scene["community"].id, REASON)
    testapp.login(scene["admin"])
    page = testapp.get(f"/admin/communautes/{other.id}/fusion")
    assert "Le Hameau d’Ès" not in page.text
    refused = testapp.post_csrf(f"/admin/communautes/{scene['community'].id}/fusion",
                                {"cible": str(other.id), "reason": REASON, "confirme": "1"}, status=400)
    assert "Choisissez une valeur de la liste." in refused.text or "archivée" in refused.text
    assert dbsession.get(Community, other.id) is not None
