"""vvs_kyc routes × roles.

Routes: kyc_document, kyc_geolocation, kyc_attestations (any signed-in user),
kyc_partner and kyc_partner_return (signed-in; 404 without a partner), kyc_attest
(référent of the resident's community or agent of its commune), kyc_review (the
platform team and mairie agents), kyc_audit (the platform team), kyc_review_proof,
kyc_review_file, kyc_review_decide (the platform team, or the agents of the
commune when its mairie validates), kyc_commune_rule (agents of that commune, admins).
"""
import io
import re

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from PIL import Image
from shapely.geometry import Point
from sqlalchemy import func, select

from vvs_core.models import Commune, Membership
from vvs_core.testing import DEMO_PASSWORD, SERRIS
from vvs_kyc.models import KycCheck, KycDocumentOpening

CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DEMO_PASSWORD)
ROLES = ("resident", "non_member", "member", "referent", "other_referent", "agent", "other_agent", "moderator", "admin")


@pytest.fixture
def world(app_registry, dbsession, make_user, make_community, commune, tmp_path, monkeypatch, agents):
    monkeypatch.setitem(app_registry.settings, "vvs.kyc.storage_dir", str(tmp_path / "kyc"))
    monkeypatch.setitem(app_registry.settings, "vvs.kyc.encryption_key", Fernet.generate_key().decode())
    dbsession.add(Commune(insee="77111", name="Chessy", postcodes=["77700"], centre=Point(2.76, 48.87)))
    roles = {name: make_user() for name in ROLES}
    for user in roles.values():
        user.password_hash = CHEAP_HASH
    roles["resident"].home = Point(*SERRIS)
    roles["moderator"].is_moderator = True
    roles["admin"].is_admin = True
    community = make_community("Le Bourg", members=[roles["member"]], referents=[roles["referent"]],
                               validation_mode="platform")
    make_community("Ailleurs", centre=(2.80, 48.85), referents=[roles["other_referent"]])
    membership = Membership(user_id=roles["resident"].id, community_id=community.id, status="pending")
    dbsession.add(membership)
    dbsession.flush()
    agents[roles["agent"].id] = "77449"
    agents[roles["other_agent"].id] = "77111"
    return {"roles": roles, "community": community, "membership": membership}


def token(testapp):
    return re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/charte").text).group(1)


def as_role(testapp, world, role):
    testapp.reset()
    testapp.wsgi.registry["vvs.ratelimit_store"] = None  # many sign-ins from one address in one test
    if role != "anonymous":
        testapp.login(world["roles"][role])


def uploaded_proof(testapp, world, dbsession) -> int:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 200)).save(out, "PNG")
    as_role(testapp, world, "resident")
    testapp.post("/kyc/justificatif", {"csrf_token": token(testapp)},
                 upload_files=[("document", "facture.png", out.getvalue())], status=303)
    return dbsession.scalar(select(KycCheck.id).where(KycCheck.method == "document"))


@pytest.mark.parametrize("mode", ["platform", "mairie"])
def test_only_reviewers_open_and_decide_a_proof(testapp, world, dbsession, mode):
    # routes: kyc_review_proof, kyc_review_file, kyc_review_decide, kyc_review, kyc_audit
    check_id = uploaded_proof(testapp, world, dbsession)
    world["community"].validation_mode = mode
    dbsession.flush()
    reviewers = {"admin"} | ({"agent"} if mode == "mairie" else set())
    seen, expected = {}, {}
    for role in ROLES:
        as_role(testapp, world, role)
        seen[role] = (
            testapp.get(f"/kyc/revue/{check_id}", status="*").status_int,
            testapp.get(f"/kyc/revue/{check_id}/document", status="*").status_int,
            testapp.post(f"/kyc/revue/{check_id}/decision", {"decision": "?", "csrf_token": token(testapp)},
                         status="*").status_int,
            testapp.get("/kyc/revue", status="*").status_int,
            testapp.get("/kyc/revue/journal", status="*").status_int,
        )
        ok = role in reviewers
        queue = 200 if role in ("admin", "agent", "other_agent") else 403
        expected[role] = (200 if ok else 403, 200 if ok else 403, 400 if ok else 403, queue,
                          200 if role == "admin" else 403)
    assert seen == expected
    openings = dbsession.execute(select(KycDocumentOpening.viewer_id, KycDocumentOpening.as_role)).all()
    assert sorted(openings) == sorted(
        (world["roles"][r].id, "admin" if r == "admin" else "mairie") for r in reviewers)
    as_role(testapp, world, "anonymous")
    assert "/connexion" in testapp.get(f"/kyc/revue/{check_id}/document", status=302).headers["Location"]
    as_role(testapp, world, "admin")
    testapp.get("/kyc/revue/999999/document", status=404)
    testapp.get("/kyc/revue/999999", status=404)


def test_resident_pages_need_an_account(testapp, world):
    # routes: kyc_document, kyc_geolocation, kyc_attestations, kyc_partner, kyc_partner_return
    for url in ("/kyc/justificatif", "/kyc/geolocalisation", "/kyc/attestations", "/kyc/partenaire",
                "/kyc/partenaire/retour"):
        as_role(testapp, world, "anonymous")
        assert "/connexion" in testapp.get(url, status=302).headers["Location"]
    for role in ("resident", "non_member", "member", "admin"):
        as_role(testapp, world, role)
        for url in ("/kyc/justificatif", "/kyc/geolocalisation", "/kyc/attestations"):
            assert testapp.get(url).status_int == 200
        testapp.get("/kyc/partenaire", status=404)  # no partner configured
        testapp.get("/kyc/partenaire/retour", status=404)


def test_who_may_vouch(testapp, world, dbsession):
    # route: kyc_attest
    url = f"/kyc/attestations/{world['membership'].id}"
    world["community"].validation_mode = "referent"  # no automatic acceptance: the request stays pending
    dbsession.flush()
    as_role(testapp, world, "anonymous")
    testapp.post(url, {}, status=403)
    seen = {}
    for role in ROLES:
        as_role(testapp, world, role)
        seen[role] = testapp.post(url, {"csrf_token": token(testapp)}, status="*").status_int
        dbsession.query(KycCheck).delete()
        dbsession.flush()
    assert seen == {role: 303 if role in ("referent", "agent") else 403 for role in ROLES}
    as_role(testapp, world, "referent")
    testapp.post("/kyc/attestations/999999", {"csrf_token": token(testapp)}, status=404)


def test_commune_rule_by_role(testapp, world, dbsession):
    # route: kyc_commune_rule
    as_role(testapp, world, "anonymous")
    assert "/connexion" in testapp.get("/kyc/commune/77449", status=302).headers["Location"]
    seen = {}
    for role in ROLES:
        as_role(testapp, world, role)
        seen[role] = (testapp.get("/kyc/commune/77449", status="*").status_int,
                      testapp.post("/kyc/commune/77449", {"mode": "any", "csrf_token": token(testapp)},
                                   status="*").status_int)
    assert seen == {role: (200, 303) if role in ("agent", "admin") else (403, 403) for role in ROLES}
    as_role(testapp, world, "admin")
    testapp.get("/kyc/commune/99999", status=404)
