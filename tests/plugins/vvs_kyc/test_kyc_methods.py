"""Geolocation, attestation, the required proofs and the commune's rule, GDPR."""
import re
import pytest
from sqlalchemy import select

from conftest import csrf, png_bytes, sign_in, upload
from vvs_core.communities.membership import MembershipBlocked, decide
from vvs_core.testing import SERRIS
from vvs_kyc.models import KycCheck


def checks(dbsession, user, method):
    dbsession.expire_all()
    return dbsession.scalars(select(KycCheck).where(KycCheck.user_id == user.id, KycCheck.method == method)).all()


def reading(testapp, lon, lat, accuracy, status=200):
    return testapp.post("/kyc/geolocalisation", {"lon": lon, "lat": lat, "accuracy": accuracy,
                                                 "csrf_token": csrf(testapp)}, status=status)


def test_geolocation_far_fails_near_passes_and_keeps_no_position(testapp, world, dbsession):
    sign_in(testapp, world["resident"])
    assert "Géolocaliser mon domicile" in testapp.get("/kyc/geolocalisation").text
    far = reading(testapp, SERRIS[0] + 0.02, SERRIS[1], 15)  # about 1.5 km east
    assert "ne correspond pas à l'adresse" in far.text
    imprecise = reading(testapp, SERRIS[0], SERRIS[1], 3000)  # a position guessed from the internet address
    assert "ne correspond pas" in imprecise.text
    assert "précision 3\u202f000 m" in imprecise.text or "précision 3\u00a0000 m" in imprecise.text  # not « 3000 »
    far_away = reading(testapp, SERRIS[0] + 0.09, SERRIS[1], 0)  # about 6,6 km, an accuracy the browser did not give
    assert re.search(r"\(à 6[\u202f\u00a0]\d{3} m\)", far_away.text) and "précision 0 m" not in far_away.text
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "pending"
    near = reading(testapp, SERRIS[0] + 0.0005, SERRIS[1], 20)  # about 37 m
    assert "votre adresse est vérifiée" in near.text
    rows = checks(dbsession, world["resident"], "geolocation")
    assert [r.status for r in rows] == ["failed", "failed", "failed", "passed"]
    assert set(rows[3].details) == {"distance_m", "accuracy_m", "max_m"} and 30 <= rows[3].details["distance_m"] <= 45
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "active"  # platform mode: accepted at once
    bad = reading(testapp, "abc", "", "", status=400)
    assert "autorisez la géolocalisation" in bad.text


def test_attestation_by_a_referent(testapp, world, dbsession):
    world["bourg"].validation_mode = "referent"
    dbsession.flush()
    sign_in(testapp, world["referent"])
    page = testapp.get("/kyc/attestations")
    assert world["resident"].full_name in page.text
    testapp.post(f"/kyc/attestations/{world['membership'].id}", {"csrf_token": csrf(testapp)}, status=303)
    [check] = checks(dbsession, world["resident"], "attestation")
    assert check.status == "passed" and check.decided_by_id == world["referent"].id
    assert check.details == {"role": "referent"}
    again = testapp.post(f"/kyc/attestations/{world['membership'].id}", {"csrf_token": csrf(testapp)}).follow()
    assert "déjà attesté" in again.text
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "pending"  # referent mode: the référent still decides
    # A neighbour and a référent of another community may not vouch.
    for who in ("neighbour", "other_referent"):
        sign_in(testapp, world[who])
        testapp.post(f"/kyc/attestations/{world['membership'].id}", {"csrf_token": csrf(testapp)}, status=403)


def test_required_proofs_block_the_decision_until_passed(testapp, world, dbsession, app_registry, monkeypatch):
    from vvs_core.models import Membership
    from vvs_core.jobs.tasks import task_request

    monkeypatch.setitem(app_registry.settings, "vvs.kyc.required", ["attestation"])
    world["bourg"].validation_mode = "referent"
    dbsession.flush()
    with pytest.raises(MembershipBlocked) as blocked:
        with task_request(app_registry) as request:
            decide(request, request.dbsession.get(Membership, world["membership"].id), True, "", world["referent"].id)
    assert blocked.value.reasons == ["Aucune attestation d'un voisin"]
    # The queue shows the blocker to the référent, who vouches and then accepts.
    sign_in(testapp, world["referent"])
    assert "Aucune attestation" in testapp.get(f"/communaute/{world['bourg'].id}/demandes").text
    testapp.post(f"/kyc/attestations/{world['membership'].id}", {"csrf_token": csrf(testapp)}, status=303)
    testapp.post(f"/communaute/{world['bourg'].id}/demandes/{world['membership'].id}",
                 {"decision": "accept", "csrf_token": csrf(testapp)}, status=303)
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "active"


def test_any_proof_then_auto_acceptance_waits_for_every_required_one(testapp, world, dbsession, app_registry,
                                                                     monkeypatch):
    monkeypatch.setitem(app_registry.settings, "vvs.kyc.required", ["geolocation", "document"])
    sign_in(testapp, world["resident"])
    reading(testapp, SERRIS[0], SERRIS[1], 10)
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "pending"  # the document is still required
    page = testapp.get("/activation")
    assert "Justificatif de domicile" in page.text and "vérifié" in page.text


def test_commune_rule_set_by_its_agent_overrides_the_setting(testapp, world, dbsession, agents, other_commune,
                                                              app_registry):
    agents[world["agent"].id] = "77449"
    sign_in(testapp, world["agent"])
    page = testapp.get("/kyc/commune/77449")
    assert "Suivre la règle du service" in page.text
    bad = testapp.post("/kyc/commune/77449", {"mode": "list", "csrf_token": csrf(testapp)}, status=400)
    assert "Cochez au moins une preuve" in bad.text
    testapp.post("/kyc/commune/77449", [("mode", "list"), ("methods", "document"), ("methods", "attestation"),
                                        ("csrf_token", csrf(testapp))], status=303)
    assert "toutes ces preuves : Justificatif de domicile, Attestation d'un voisin" in testapp.get("/kyc/commune/77449").text
    from vvs_core.communities.membership import blockers
    from vvs_core.models import Membership
    from vvs_core.jobs.tasks import task_request

    with task_request(app_registry) as request:
        found = blockers(request, request.dbsession.get(Membership, world["membership"].id))
    assert found == ["Justificatif de domicile non vérifié", "Aucune attestation d'un voisin"]
    testapp.get("/kyc/commune/77111", status=403)  # another commune's rule
    testapp.post("/kyc/commune/77449", {"mode": "default", "csrf_token": csrf(testapp)}, status=303)


@pytest.mark.parametrize("fields, said", [
    ([("mode", "tout")], "Choisissez une règle."), ([], "Choisissez une règle."), ([("mode", "any\x00")], "Choisissez une règle."),
    ([("mode", "list"), ("methods", "inconnue"), ("methods", "document\x00")], "Cochez au moins une preuve"),
])
def test_hostile_commune_rules_change_nothing(testapp, world, dbsession, agents, fields, said):
    from vvs_kyc.rules import commune_rule

    agents[world["agent"].id] = "77449"
    sign_in(testapp, world["agent"])
    bad = testapp.post("/kyc/commune/77449", [*fields, ("csrf_token", csrf(testapp))], status=400)
    assert said in bad.text
    filed = testapp.post("/kyc/commune/77449", [("csrf_token", csrf(testapp))], upload_files=[("mode", "m.txt", b"none")],
                         status=400)
    assert "Choisissez une règle." in filed.text
    assert commune_rule(dbsession, world["bourg"].commune_id) is None


def test_gdpr_export_and_erase(testapp, world, dbsession, kyc_dir, app_registry):
    from vvs_core.models import User
    from vvs_core.jobs.tasks import task_request

    sign_in(testapp, world["resident"])
    upload(testapp, "facture.png", png_bytes())
    reading(testapp, SERRIS[0] + 0.02, SERRIS[1], 15)
    hook = app_registry.vvs_plugins.hook
    with task_request(app_registry) as request:
        user = request.dbsession.get(User, world["resident"].id)
        [rows] = [a["Vérifications d'adresse"] for a in hook.vvs_export_user_data(request=request, user=user)
                  if a and "Vérifications d'adresse" in a]
    assert [r["methode"] for r in rows] == ["Justificatif de domicile", "Géolocalisation"]  # the pages' words
    assert "storage_name" not in str(rows) and "lon" not in rows[1]
    assert len(list(kyc_dir.iterdir())) == 1
    with task_request(app_registry) as request:
        hook.vvs_erase_user_data(request=request, user=request.dbsession.get(User, world["resident"].id))
    assert list(kyc_dir.iterdir()) == []
    assert checks(dbsession, world["resident"], "document") == []
    assert checks(dbsession, world["resident"], "geolocation") == []


def test_a_referent_reads_that_their_own_address_is_attested_not_the_neighbours(testapp, world, dbsession):
    """« Votre adresse est attestée. » above the neighbours waiting read as if about them."""
    dbsession.add(KycCheck(user_id=world["referent"].id, method="attestation", status="passed"))
    dbsession.flush()
    sign_in(testapp, world["referent"])
    page = testapp.get("/kyc/attestations")
    assert "Votre propre adresse est attestée." in page.text and "Votre adresse est attestée." not in page.text
