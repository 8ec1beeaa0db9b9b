"""Community routes × roles: nobody outside a community reads its directory, its
movements, edits its boundary or opens its queue; settings and profile are each
user's own; the administration page is the platform team's."""
import contextlib

import pytest
from shapely.geometry import Point

from vvs_core.geo import from_l93, to_l93
from vvs_core.models import Membership
from vvs_core.testing import SERRIS

# route names covered here: community, community_history, community_edit, community_boundary,
# directory, directory_json, directory_csv, member_card, invitations, invitations_email, invitations_sms,
# invitations_flyer, referent_tools, community_requests, invitation_open, admin, member_photo,
# profile, profile_photo, profile_housing, settings, settings_account, settings_password, settings_email,
# settings_email_confirm, settings_notifications, settings_newsletter, settings_data, settings_data_zip,
# settings_close

COMMUNITY_GETS = ["", "/historique", "/modifier", "/delimitation", "/annuaire", "/annuaire.json",
                  "/annuaire.csv", "/membres/{member}", "/invitations", "/invitations/flyer.pdf",
                  "/referent", "/demandes"]
COMMUNITY_POSTS = ["/modifier", "/delimitation", "/invitations/email", "/invitations/sms"]
OWN_PAGES = ["/profil", "/parametres", "/parametres/compte", "/parametres/mot-de-passe", "/parametres/adresse-email",
             "/parametres/notifications", "/parametres/newsletter", "/parametres/mes-donnees",
             "/parametres/mes-donnees.zip", "/parametres/fermeture"]
OWN_POSTS = ["/profil/photo", "/profil/habitation"]


def east(metres):
    p = to_l93(Point(*SERRIS))
    return from_l93(Point(p.x + metres, p.y)).coords[0]


@pytest.fixture
def world(make_user, make_community, dbsession):
    referent, member, pending = make_user(), make_user(), make_user()
    other_member, other_referent, outsider, agent = make_user(), make_user(), make_user(), make_user()
    target = make_community(name="Cible", members=[member], referents=[referent])
    other = make_community(name="Autre", centre=east(600), members=[other_member], referents=[other_referent])
    dbsession.add(Membership(user_id=pending.id, community_id=target.id, status="pending"))
    dbsession.flush()
    return dict(target=target, other=other, referent=referent, member=member, pending=pending,
                other_member=other_member, other_referent=other_referent, outsider=outsider, agent=agent)


def urls(world, suffixes):
    base = f"/communaute/{world['target'].id}"
    return [base + s.format(member=world["member"].id) for s in suffixes]


def test_anonymous_is_sent_to_login(testapp, world):
    for url in urls(world, COMMUNITY_GETS) + OWN_PAGES + ["/admin", f"/photo/{world['member'].id}"]:
        res = testapp.get(url, status=302)
        assert "/connexion" in res.headers["Location"], url
    for url in urls(world, COMMUNITY_POSTS) + OWN_POSTS:
        testapp.post_csrf(url, {}, status=403)


@pytest.mark.parametrize("who", ["outsider", "pending", "other_member", "other_referent", "agent_elsewhere"])
def test_outsiders_get_403_on_another_community(testapp, app_registry, world, who, commune_agent):
    user = world["agent"] if who == "agent_elsewhere" else world[who]
    context = commune_agent(user, "75056") if who == "agent_elsewhere" else contextlib.nullcontext()
    with context:
        testapp.login(user)
        for url in urls(world, COMMUNITY_GETS):
            testapp.get(url, status=403)
        for url in urls(world, COMMUNITY_POSTS):
            testapp.post_csrf(url, {}, status=403)
        testapp.get(f"/photo/{world['member'].id}", status=404)
        testapp.get("/admin", status=403)


def test_unknown_community_is_404(testapp, world):
    testapp.login(world["member"])
    for suffix in ("", "/annuaire", "/delimitation", "/demandes"):
        testapp.get(f"/communaute/999999{suffix}", status=404)
        testapp.get(f"/communaute/abc{suffix}", status=404)


@pytest.mark.parametrize("raw", ["99999999999", "4294967296", "%C2%B2", "%D9%A1%D9%A2", "-1", "1e3", "%201"])
def test_an_id_that_names_no_row_is_404_not_500(testapp, world, raw):
    """Past PostgreSQL's INTEGER, "²" (a digit to Python that int() refuses), Arabic-Indic digits, signs."""
    testapp.login(world["referent"])
    testapp.get(f"/photo/{raw}", status=404)
    for suffix in ("", "/historique", "/demandes"):
        testapp.get(f"/communaute/{raw}{suffix}", status=404)
    testapp.post_csrf(f"/communaute/{world['target'].id}/demandes/{raw}", {"decision": "accept"}, status=404)
    for url in (f"/communaute/{world['target'].id}/membres/{raw}", f"/messagerie/conversation/{raw}", f"/alertes/{raw}"):
        testapp.get(url, status=404)


def test_member_reads_but_does_not_manage(testapp, world):
    testapp.login(world["member"])
    for url in urls(world, ["", "/historique", "/annuaire", "/annuaire.json", "/annuaire.csv",
                            "/membres/{member}", "/invitations", "/invitations/flyer.pdf"]):
        testapp.get(url, status=200)
    for url in urls(world, ["/modifier", "/delimitation", "/referent", "/demandes"]):
        testapp.get(url, status=403)
    testapp.get(f"/communaute/{world['target'].id}/membres/{world['other_member'].id}", status=404)


def test_referent_manages(testapp, world):
    testapp.login(world["referent"])
    for url in urls(world, ["/modifier", "/delimitation", "/referent", "/demandes"]):
        testapp.get(url, status=200)


def test_agent_of_the_commune_reads_without_managing(testapp, app_registry, world, commune_agent):
    with commune_agent(world["agent"], "77449"):
        testapp.login(world["agent"])
        for url in urls(world, ["", "/historique", "/annuaire", "/annuaire.json", "/membres/{member}"]):
            testapp.get(url, status=200)
        for url in urls(world, ["/modifier", "/delimitation", "/referent", "/invitations"]):
            testapp.get(url, status=403)


def test_own_pages_for_any_signed_in_user_and_admin_for_the_team(testapp, make_user, world):
    testapp.login(world["outsider"])
    for url in OWN_PAGES:
        testapp.get(url, status=200)
    testapp.reset()
    testapp.login(make_user(is_admin=True))
    assert testapp.get("/admin").status_int == 200
    assert testapp.get(f"/communaute/{world['target'].id}/delimitation").status_int == 200


def test_public_links_answer_everyone(testapp):
    testapp.get("/invitation/inconnu", status=404)
    testapp.get("/parametres/adresse-email/confirmer/inconnu", status=400)


def test_the_creator_of_a_waiting_community_draws_its_boundary_only(testapp, make_user, make_community, dbsession):
    """While the platform team has not validated a new community, its creator (pending)
    sees and draws its boundary, and nothing else of it; another pending member does not."""
    import json

    from vvs_core.communities.events import record_event

    creator, other_pending = make_user(), make_user()
    waiting = make_community(name="Hameau des Près", centre=east(-900))
    waiting.validation_mode = "platform"
    record_event(dbsession, "community_created", community=waiting, actor=creator, data={"name": waiting.name})
    dbsession.add(Membership(user_id=creator.id, community_id=waiting.id, role="referent", status="pending"))
    dbsession.add(Membership(user_id=other_pending.id, community_id=waiting.id, status="pending"))
    dbsession.flush()
    base = f"/communaute/{waiting.id}"
    testapp.login(creator)
    page = testapp.get(base + "/delimitation", status=200)
    assert "Hameau des Près" in page.text
    assert "Voir et dessiner la délimitation" in testapp.get("/activation").text
    for suffix in ("", "/historique", "/modifier", "/annuaire", "/referent", "/demandes", "/invitations"):
        testapp.get(base + suffix, status=403)
    ring = [list(p) for p in waiting.boundary.exterior.coords[:-1]]
    ring[0] = [ring[0][0] - 0.0004, ring[0][1]]  # one corner a little further west
    res = testapp.post_csrf(base + "/delimitation", {"boundary": json.dumps(ring)}, status=303)
    assert res.headers["Location"].endswith("/activation")  # the community page is not theirs yet
    testapp.reset()
    testapp.login(other_pending)
    testapp.get(base + "/delimitation", status=403)
    testapp.post_csrf(base + "/delimitation", {"boundary": json.dumps(ring)}, status=403)
    assert "Voir et dessiner la délimitation" not in testapp.get("/activation").text
