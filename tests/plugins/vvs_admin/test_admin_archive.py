"""Archiving a community from the administration (issue 13.1): a confirmation page, then
the community is off the map (no point falls in it, its territory is free for another),
its members and pending requests let go, its history kept, its invitation links dead;
the journal keeps the reason. Bad input, twice, two administrators (issue 13.5)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from vvs_core import geo
from vvs_admin.communes import ChangedMeanwhile, archive_community
from vvs_invitations.invitations import find_by_code, shared_link
from vvs_core.models import Community, CommunityEvent, Membership, Notification
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


def test_archived_community_is_not_merged(testapp, dbsession, scene, make_community, app_request):
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, to_l93

    p = to_l93(Point(*SERRIS))
    other = make_community("Les Prés", centre=from_l93(Point(p.x + 300, p.y)).coords[0])
    app_request.user = scene["admin"]
    archive_community(app_request, scene["community"].id, REASON)
    with pytest.raises(ChangedMeanwhile):
        archive_community(app_request, scene["community"].id, REASON)
    testapp.login(scene["admin"])
    page = testapp.get(f"/admin/communautes/{other.id}/fusion")
    assert "Le Hameau d’Ès" not in page.text
    refused = testapp.post_csrf(f"/admin/communautes/{scene['community'].id}/fusion",
                                {"cible": str(other.id), "reason": REASON, "confirme": "1"}, status=403)
    assert "« Le Hameau d’Ès » est archivée" in refused.text
    assert dbsession.get(Community, other.id) is not None


def archive_as_admin(testapp, scene, reason=REASON):
    testapp.login(scene["admin"])
    testapp.post_csrf(url(scene["community"]), {"reason": reason}, status=303)


def test_members_and_waiting_residents_are_told_with_the_reason_and_where_to_go(testapp, dbsession, scene):
    """Walk of the staff, item 4: archived, the members stopped receiving alerts without a word."""
    reason = "Doublon de « Le Bourg » créé par erreur ’ 🏘️"
    archive_as_admin(testapp, scene, reason)
    for who in ("member", "referent", "pending"):
        mails = dbsession.scalars(select(Notification).where(Notification.recipient_id == scene[who].id,
                                                             Notification.kind == "membership")).all()
        assert [m.channel for m in mails] == ["email"], who
        mail = mails[0]
        assert mail.title == "La communauté « Le Hameau d’Ès » est archivée"
        assert f"Motif : {reason}" in mail.body
        assert "/inscription/communaute" in mail.body
    member_mail = dbsession.scalars(select(Notification).where(Notification.recipient_id == scene["member"].id)).one()
    assert "Bonjour Inès" in member_mail.body and "vous ne recevez plus ses alertes" in member_mail.body
    pending_mail = dbsession.scalars(select(Notification).where(Notification.recipient_id == scene["pending"].id)).one()
    assert "Votre demande d'adhésion à cette communauté est donc close." in pending_mail.body
    assert dbsession.scalars(select(Notification).where(Notification.recipient_id == scene["admin"].id)).all() == []


def test_the_freed_member_home_says_why_and_offers_the_next_step(testapp, dbsession, scene):
    archive_as_admin(testapp, scene, "Le quartier a rejoint « Les Prés » 🌳")
    testapp.reset()
    testapp.login(scene["member"])
    home = testapp.get("/")
    assert "La communauté « Le Hameau d’Ès » a été archivée : vous n’en êtes plus membre." in home.text
    assert "Motif : Le quartier a rejoint « Les Prés » 🌳" in home.text
    assert "Vous n’êtes membre d’aucune communauté : vous ne recevez pas les alertes de vos voisins." in home.text
    link = home.html.find("a", string="Choisir ma communauté")
    assert link["href"] == "/inscription/communaute"
    assert "Vous n'êtes encore membre" not in home.text


def test_an_archived_community_is_read_only_and_marked(testapp, dbsession, scene):
    community = scene["community"]
    archive_as_admin(testapp, scene)
    page = testapp.get(f"/communaute/{community.id}")
    assert "Ma communauté" not in page.text
    h1 = " ".join(page.html.find("h1").get_text().split())
    assert h1 == "Communauté « Le Hameau d’Ès » archivée"
    for label in ("Modifier les informations", "Modifier la délimitation", "Rôle et outils du référent",
                  "Inviter des voisins"):
        assert label not in page.text, label
    assert testapp.get(f"/communaute/{community.id}/historique").status_int == 200
    for path in (f"/communaute/{community.id}/modifier", f"/communaute/{community.id}/delimitation",
                 f"/admin/communautes/{community.id}/fusion", f"/admin/communautes/{community.id}/validation",
                 f"/communaute/{community.id}/referent", f"/communaute/{community.id}/invitations"):
        refused = testapp.get(path, status=403)
        assert "Communauté archivée" in refused.text and "ne peut plus être modifiée" in refused.text, path
    refused = testapp.post_csrf(f"/communaute/{community.id}/modifier",
                                {"name": "Renommée après l’archive", "description": ""}, status=403)
    dbsession.expire_all()
    assert dbsession.get(Community, community.id).name == "Le Hameau d’Ès"
    # the archive page itself still says since when
    assert "Cette communauté est archivée depuis le" in testapp.get(url(community)).text


def test_the_admin_overview_counts_live_communities(testapp, dbsession, scene, make_community):
    from shapely.geometry import Point

    from vvs_core.geo import from_l93, to_l93

    p = to_l93(Point(*SERRIS))
    make_community("Les Prés", centre=from_l93(Point(p.x + 900, p.y)).coords[0])
    archive_as_admin(testapp, scene)
    counts = " ".join(testapp.get("/admin").html.select_one("p.counts").get_text().split())
    assert "1 communauté (et 1 archivée)" in counts
