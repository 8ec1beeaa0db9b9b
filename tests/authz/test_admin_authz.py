"""Administration routes × roles: only the platform team (administrators) opens the
accounts pages, acts on an account or reads the journal; every other role gets 403,
the anonymous visitor the login page (GET) or 403 (POST), and nothing changes.

The account's suspension page (admin_user_account) is also the moderators'.

Routes: admin_users, admin_user, admin_user_role, admin_user_status,
admin_user_confirmation, admin_user_sessions, admin_user_account, admin_journal, admin_journal_csv, admin_communes,
admin_commune, admin_community_mode, admin_community_referents, admin_community_merge,
admin_community_archive, admin_commune_withdraw, admin_plugins, admin_community_new, admin_community_edit.
"""
import pytest
from sqlalchemy import select

from vvs_core.models import Commune, CommunityEvent, Membership
from vvs_core.plugins import hookimpl

ROLES = ("resident", "pending", "referent", "agent", "moderator", "admin", "anonymous")
REASON = "Contrôle des droits d'accès."


class AgentPrincipals:
    def __init__(self, user_id):
        self.user_id = user_id

    @hookimpl
    def vvs_principals(self, request, user):
        return ["commune:77449:agent"] if user.id == self.user_id else []


@pytest.fixture
def world(dbsession, make_user, make_community, app_registry):
    users = {name: make_user() for name in ("resident", "pending", "referent", "agent", "moderator", "admin")}
    users["moderator"].is_moderator = True
    users["admin"].is_admin = True
    community = make_community("Le Bourg", members=[users["resident"]], referents=[users["referent"]])
    dbsession.add(Membership(user_id=users["pending"].id, community_id=community.id, status="pending"))
    target = make_user(first_name="Cible", email_confirmed_at=None)
    dbsession.flush()
    plugin = AgentPrincipals(users["agent"].id)
    app_registry.vvs_plugins.register(plugin)
    yield {"users": users, "target": target, "community": community}
    app_registry.vvs_plugins.unregister(plugin)


def gets(target):
    return ["/admin/utilisateurs", "/admin/utilisateurs?q=cible", f"/admin/utilisateurs/{target.id}",
            "/admin/journal", "/admin/journal.csv", "/admin/extensions"]


def posts(target):
    base = f"/admin/utilisateurs/{target.id}"
    # (url, form, the administrator's answer): the ban is sent with the state seen before
    # the role changed, so it is refused as made on a stale page (409)
    return [(base + "/role", {"role": "admin", "reason": REASON, "etat": "active:0:0"}, 303),
            (base + "/statut", {"action": "ban", "reason": REASON, "etat": "active:0:0"}, 409),
            (base + "/confirmation", {"reason": REASON}, 303),
            (base + "/sessions", {"reason": REASON}, 303)]


def check_get(testapp, role, url):
    """200 for the administrator, the login page for the anonymous visitor, 403 for the others."""
    if role == "admin":
        assert testapp.get(url).status_int == 200, url
    elif role == "anonymous":
        assert "/connexion" in testapp.get(url, status=302).headers["Location"], url
    else:
        testapp.get(url, status=403)


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_by_role(testapp, world, dbsession, role):
    target = world["target"]
    if role != "anonymous":
        testapp.login(world["users"][role])
    for url in gets(target):
        check_get(testapp, role, url)
    for url, params, admin_status in posts(target):
        status = admin_status if role == "admin" else 403
        testapp.post_csrf(url, params, status=status)
    dbsession.refresh(target)
    events = dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.subject_user_id == target.id)).all()
    if role == "admin":
        assert target.is_admin and target.status == "active"  
        assert "admin_role_changed" in events and "admin_confirmation_resent" in events
        assert "admin_sessions_ended" in events
    else:
        assert not target.is_admin and target.status == "active" and events == []


@pytest.mark.parametrize("role", ROLES)
def test_account_sanction_page_by_role(testapp, world, dbsession, role):
    """admin_user_account: the administrators and the moderators suspend or ban an account
    there; every other role gets 403 and nothing changes."""
    target = world["target"]
    url = f"/admin/utilisateurs/{target.id}/compte"
    allowed = role in ("admin", "moderator")
    if role != "anonymous":
        testapp.login(world["users"][role])
    if allowed:
        assert testapp.get(url).status_int == 200
    else:
        check_get(testapp, role, url)
    testapp.post_csrf(url, {"action": "suspend", "jours": "3", "reason": REASON, "etat": "active:0:0"},
                      status=303 if allowed else 403)
    dbsession.refresh(target)
    assert target.status == ("suspended" if allowed else "active")
    kinds = dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.subject_user_id == target.id)).all()
    assert kinds == (["admin_account_suspended"] if allowed else [])


def test_unknown_user_is_404_for_admin(testapp, world):
    testapp.login(world["users"]["admin"])
    for url in ("/admin/utilisateurs/999999", "/admin/utilisateurs/abc/statut"):
        testapp.get(url, status=404)


COMMUNE = {"insee": "2B033", "name": "Bastia", "postcodes": "20200", "lat": "42,70", "lon": "9,45",
           "contact_name": "", "contact_email": "", "contact_phone": "", "reason": REASON}


@pytest.mark.parametrize("role", ROLES)
def test_commune_pages_by_role(testapp, world, dbsession, role):
    community, resident = world["community"], world["users"]["resident"]
    if role != "anonymous":
        testapp.login(world["users"][role])
    for url in ("/admin/communes", "/admin/communes/77449"):
        check_get(testapp, role, url)
    posts = [("/admin/communes", COMMUNE),
             ("/admin/communes/77449", {**COMMUNE, "name": "Serris-sur-Test"}),
             (f"/admin/communautes/{community.id}/validation", {"mode": "mairie", "seen": "referent", "reason": REASON}),
             (f"/admin/communautes/{community.id}/referents", {"change": f"nommer:{resident.id}", "reason": REASON})]
    for url, params in posts:
        testapp.post_csrf(url, params, status=303 if role == "admin" else 403)
    dbsession.expire_all()
    created = dbsession.scalar(select(Commune.id).where(Commune.insee == "2B033"))
    role_now = dbsession.scalar(select(Membership.role).where(Membership.user_id == resident.id))
    if role == "admin":
        assert created is not None and role_now == "referent" and community.validation_mode == "mairie"
    else:
        assert created is None and role_now == "member" and community.validation_mode == "referent"


@pytest.mark.parametrize("role", ROLES)
def test_community_merge_by_role(testapp, world, dbsession, role):
    """admin_community_merge: the platform team only; nothing merged for the others."""
    community = world["community"]
    if role != "anonymous":
        testapp.login(world["users"][role])
    check_get(testapp, role, f"/admin/communautes/{community.id}/fusion")
    for confirme in ("", "1"):
        testapp.post_csrf(f"/admin/communautes/{community.id}/fusion",
                          {"cible": str(community.id), "reason": REASON, "confirme": confirme},
                          status=400 if role == "admin" else 403)
    assert dbsession.get(type(community), community.id) is not None


@pytest.mark.parametrize("role", ROLES)
def test_community_archive_by_role(testapp, world, dbsession, role):
    """admin_community_archive: the platform team only; nothing archived for the others
    (the administrator's empty reason is refused, so nothing is archived either)."""
    community = world["community"]
    if role != "anonymous":
        testapp.login(world["users"][role])
    check_get(testapp, role, f"/admin/communautes/{community.id}/archivage")
    testapp.post_csrf(f"/admin/communautes/{community.id}/archivage", {"reason": ""},
                      status=400 if role == "admin" else 403)
    dbsession.refresh(community)
    assert community.archived_at is None


@pytest.mark.parametrize("role", ROLES)
def test_commune_withdraw_by_role(testapp, world, dbsession, role):
    """admin_commune_withdraw: the platform team only. Serris has a community, so even the
    administrator is refused (400, with what holds it); nothing is withdrawn for anyone."""
    commune = world["community"].commune
    if role != "anonymous":
        testapp.login(world["users"][role])
    check_get(testapp, role, f"/admin/communes/{commune.insee}/retrait")
    testapp.post_csrf(f"/admin/communes/{commune.insee}/retrait", {"reason": "Créée par erreur, à retirer."},
                      status=400 if role == "admin" else 403)
    assert dbsession.get(Commune, commune.id) is not None


@pytest.mark.parametrize("role", ROLES)
def test_an_archived_community_is_read_only_for_every_role(testapp, world, dbsession, role):
    """vvs_admin.archived: once archived, no page changes the community, the platform team's
    included (403 « Communauté archivée »); the anonymous visitor is sent to sign in first."""
    from vvs_core.clock import utcnow

    community = world["community"]
    community.archived_at = utcnow()
    dbsession.flush()
    if role != "anonymous":
        testapp.login(world["users"][role])
    for path in (f"/communaute/{community.id}/modifier", f"/communaute/{community.id}/delimitation",
                 f"/admin/communautes/{community.id}/fusion"):
        if role == "anonymous":
            assert "/connexion" in testapp.get(path, status=302).headers["Location"]
        else:
            refused = testapp.get(path, status=403)
            assert "Communauté archivée" in refused.text, path  # whoever asks
    testapp.post_csrf(f"/communaute/{community.id}/modifier", {"name": "Renommée « après » l’archive"}, status=403)
    dbsession.refresh(community)
    assert community.name == "Le Bourg"


def square_json(centre, side_m=400) -> str:
    import json

    from vvs_core.geo import square_around

    return json.dumps([list(p) for p in square_around(centre, side_m).exterior.coords][:-1])


@pytest.mark.parametrize("role", ROLES)
def test_community_create_and_edit_by_role(testapp, world, dbsession, role):
    """admin_community_new, admin_community_edit: the platform team creates a community and
    changes its name, description and boundary; every other role gets 403 (the anonymous
    visitor the login page on GET) and nothing is created or changed — the commune's agent
    (who oversees the commune) included."""
    from vvs_core.models import Community
    from vvs_core.testing import SERRIS

    community, commune = world["community"], world["community"].commune
    if role != "anonymous":
        testapp.login(world["users"][role])
    check_get(testapp, role, f"/admin/communautes/nouvelle?commune={commune.id}")
    check_get(testapp, role, f"/admin/communautes/{community.id}/modifier")
    east = (SERRIS[0] + 0.012, SERRIS[1])
    status = 303 if role == "admin" else 403
    testapp.post_csrf("/admin/communautes/nouvelle", {
        "commune": str(commune.id), "name": "Quartier de l’Église – Les Œillets", "description": "", "mode": "referent",
        "referent": "", "boundary": square_json(east), "reason": REASON}, status=status)
    testapp.post_csrf(f"/admin/communautes/{community.id}/modifier", {
        "name": "Le Bourg « renommé »", "description": "", "boundary": square_json(SERRIS, 300), "reason": REASON},
        status=409 if role == "admin" else 403)  # the state the page showed is missing: changed meanwhile
    dbsession.expire_all()
    created = dbsession.scalar(select(Community.id).where(Community.name == "Quartier de l’Église – Les Œillets"))
    assert (created is not None) == (role == "admin")
    assert dbsession.get(Community, community.id).name == "Le Bourg"


def test_another_communes_agent_cannot_touch_a_community_the_team_created(testapp, world, dbsession, make_user):
    """A community the team creates in Chessy: the agent of Serris neither opens nor changes it,
    through the team's pages or the référents' (edit, boundary, requests)."""
    from shapely.geometry import Point

    from vvs_core.models import Community
    from vvs_core.testing import SERRIS

    chessy = Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(SERRIS[0] + 0.03, SERRIS[1] + 0.02))
    dbsession.add(chessy)
    dbsession.flush()
    admin = world["users"]["admin"]
    testapp.login(admin)
    testapp.post_csrf("/admin/communautes/nouvelle", {
        "commune": str(chessy.id), "name": "Les Œillets de Chessy", "description": "", "mode": "referent",
        "referent": "", "boundary": square_json((chessy.centre.x, chessy.centre.y)), "reason": REASON}, status=303)
    created = dbsession.scalar(select(Community).where(Community.name == "Les Œillets de Chessy"))
    testapp.post_csrf("/deconnexion", {}, status=303)
    testapp.login(world["users"]["agent"])
    for path in (f"/admin/communautes/{created.id}/modifier", f"/communaute/{created.id}/modifier",
                 f"/communaute/{created.id}/delimitation"):
        testapp.get(path, status=403)
    testapp.post_csrf(f"/communaute/{created.id}/modifier", {"name": "Pris par Serris"}, status=403)
    testapp.post_csrf(f"/admin/communautes/{created.id}/modifier", {"name": "Pris par Serris", "reason": REASON},
                      status=403)
    dbsession.refresh(created)
    assert created.name == "Les Œillets de Chessy"
