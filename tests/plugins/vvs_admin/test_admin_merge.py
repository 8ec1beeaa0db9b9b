"""Merging two communities from the administration (issue 13.1): a form, a confirmation
page that changes nothing, then the merge: members (the stronger membership kept for
someone in both), movements, invitations and every plugin's rows (hook
vvs_communities_merging) go to the community that stays, which covers both territories;
the other disappears; the journal keeps its name and the reason. Bad input, communities
that do not touch, two administrators at once (issue 13.5)."""
from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from vvs_core.geo import from_l93, to_l93
from vvs_core.models import Community, CommunityEvent, Membership
from vvs_core.plugins import hookimpl
from vvs_core.testing import SERRIS

REASON = "Les deux quartiers « se parlent » déjà : une seule communauté 🤝"


def east(metres):
    p = to_l93(Point(*SERRIS))
    return from_l93(Point(p.x + metres, p.y)).coords[0]


@pytest.fixture
def scene(make_user, make_community, dbsession):
    admin = make_user(is_admin=True, first_name="Marc")
    both, only_a, referent_a, pending_b = (make_user(first_name=n) for n in ("Zoé", "Anaïs", "Rémi", "Loïc"))
    a = make_community("Les Érables", members=[both, only_a], referents=[referent_a])
    b = make_community("Le Clos-Fleuri", centre=east(300), members=[])
    dbsession.add(Membership(user_id=both.id, community_id=b.id, status="pending"))
    dbsession.add(Membership(user_id=pending_b.id, community_id=b.id, status="pending"))
    far = make_community("Les Lointains", centre=east(3000))
    dbsession.flush()
    return {"admin": admin, "a": a, "b": b, "far": far, "both": both, "referent_a": referent_a,
            "pending_b": pending_b}


def url(community):
    return f"/admin/communautes/{community.id}/fusion"


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def vvs_communities_merging(self, request, source, target):
        self.calls.append((source.id, target.id, source.name))


def test_vvs_communities_merging(testapp, dbsession, scene, app_registry):
    recorder = Recorder()
    app_registry.vvs_plugins.register(recorder, name="test-merge-recorder")
    try:
        a, b = scene["a"], scene["b"]
        a_id, b_id, b_area = a.id, b.id, b.boundary.area
        testapp.login(scene["admin"])
        page = testapp.get(url(a))
        assert "Le Clos-Fleuri" in page.text and "Les Lointains" in page.text
        # the first POST shows what would change and changes nothing
        confirm = testapp.post_csrf(url(a), {"cible": str(b_id), "reason": REASON})
        assert "Vérifiez avant de confirmer" in confirm.text and "3 membres" in confirm.text
        assert "Cette fusion ne peut pas être annulée." in confirm.text
        assert recorder.calls == [] and dbsession.get(Community, a_id) is not None
        done = testapp.post_csrf(url(a), {"cible": str(b_id), "reason": REASON, "confirme": "1"}, status=303)
        assert done.location.endswith(f"/admin/communes/77449#communaute-{b_id}")
        assert recorder.calls == [(a_id, b_id, "Les Érables")]
    finally:
        app_registry.vvs_plugins.unregister(name="test-merge-recorder")
    dbsession.expire_all()
    assert dbsession.get(Community, a_id) is None
    b = dbsession.get(Community, b_id)
    assert b.boundary.area == pytest.approx(2 * b_area, rel=1e-3)
    roles = {m.user_id: (m.status, m.role) for m in dbsession.scalars(select(Membership)
                                                                        .where(Membership.community_id == b_id))}
    assert roles[scene["both"].id] == ("active", "member")  # validated beats pending
    assert roles[scene["referent_a"].id] == ("active", "referent")
    assert roles[scene["pending_b"].id] == ("pending", "member")
    event = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_communities_merged")).one()
    assert event.community_id == b_id and event.data["absorbee"] == "Les Érables" and event.data["reason"] == REASON
    journal = testapp.get("/admin/journal")
    assert "Communautés fusionnées" in journal.text and "Les Érables + Le Clos-Fleuri" in journal.text


def test_communities_that_do_not_touch_are_not_merged(testapp, dbsession, scene):
    testapp.login(scene["admin"])
    for confirme in ("", "1"):
        refused = testapp.post_csrf(url(scene["a"]), {"cible": str(scene["far"].id), "reason": REASON,
                                                      "confirme": confirme}, status=400)
        assert "ne se touchent pas" in refused.text
    assert dbsession.scalar(select(func.count(Community.id))) == 3


@pytest.mark.parametrize("fields, message", [
    ({"cible": "", "reason": REASON}, "Choisissez une valeur de la liste."),
    ({"cible": "999999", "reason": REASON}, "Choisissez une valeur de la liste."),
    ({"cible": "abc", "reason": REASON}, "Choisissez une valeur de la liste."),
    ({"cible": "SELF", "reason": REASON}, "Choisissez une valeur de la liste."),
    ({"cible": "B", "reason": "ok"}, "au moins 5 caractères"),
    ({"cible": "B", "reason": "x" * 1001}, "ne doit pas dépasser 1000 caractères"),
])
def test_bad_input_changes_nothing(testapp, dbsession, scene, fields, message):
    testapp.login(scene["admin"])
    fields = {k: (str(scene["b"].id) if v == "B" else str(scene["a"].id) if v == "SELF" else v)
              for k, v in fields.items()}
    for confirme in ("", "1"):
        refused = testapp.post_csrf(url(scene["a"]), {**fields, "confirme": confirme}, status=400)
        assert message in refused.text
    assert dbsession.scalar(select(func.count(Community.id))) == 3
    assert not dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_communities_merged")).all()


def test_second_administrator_finds_it_merged(testapp, dbsession, scene):
    testapp.login(scene["admin"])
    a_id = scene["a"].id
    form = {"cible": str(scene["b"].id), "reason": REASON, "confirme": "1"}
    testapp.post_csrf(url(scene["a"]), form, status=303)
    # the second administrator's page was shown before: the community is gone
    testapp.post_csrf(f"/admin/communautes/{a_id}/fusion", form, status=404)
    from types import SimpleNamespace

    from vvs_admin.communes import ChangedMeanwhile, merge_communities

    request = SimpleNamespace(dbsession=dbsession, registry=testapp.app.registry, user=scene["admin"])
    with pytest.raises(ChangedMeanwhile, match="n'existe plus"):
        merge_communities(request, a_id, scene["b"].id, REASON)


@pytest.mark.parametrize("confirme", ["1\x00", "oui", "٣", "1" * 50])
def test_a_hostile_confirmation_only_shows_the_preview(testapp, dbsession, scene, confirme):
    a, b = scene["a"], scene["b"]
    testapp.login(scene["admin"])
    page = testapp.post_csrf(url(a), {"cible": str(b.id), "reason": REASON, "confirme": confirme}, status=200)
    assert "Vérifiez avant de confirmer" in page.text
    filed = testapp.post_csrf(url(a), {"cible": str(b.id), "reason": REASON}, upload_files=[("confirme", "c.txt", b"1")])
    assert "Vérifiez avant de confirmer" in filed.text
    assert dbsession.get(Community, a.id) is not None and dbsession.get(Community, b.id) is not None
