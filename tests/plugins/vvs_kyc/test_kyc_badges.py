"""The proof status on each pending request of the validation queues, through
``vvs_membership_badges`` (the core's queue never imports the verification plugin)."""
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Membership
from vvs_kyc.models import KycCheck
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401


def sign_in(testapp, user):
    testapp.reset()
    testapp.wsgi.registry["vvs.ratelimit_store"] = None  # several sign-ins from one address in one test
    testapp.login(user)


def _check(dbsession, user, method, status):
    dbsession.add(KycCheck(user_id=user.id, method=method, status=status, created_at=utcnow()))
    dbsession.flush()


def test_vvs_membership_badges(app_request, world, dbsession, make_user, make_community):
    resident = world["resident"]
    others = [make_user(first_name=n) for n in ("Inès", "Loïc", "Maëlle")]
    for user in others:
        dbsession.add(Membership(user_id=user.id, community_id=world["bourg"].id, status="pending"))
    dbsession.flush()
    _check(dbsession, others[0], "geolocation", "failed")
    _check(dbsession, others[0], "geolocation", "passed")
    _check(dbsession, others[0], "geolocation", "failed")  # a later failure does not undo a pass
    _check(dbsession, others[1], "document", "pending")
    _check(dbsession, others[2], "attestation", "failed")
    memberships = dbsession.scalars(select(Membership).where(Membership.status == "pending")).all()
    answers = app_request.registry.vvs_plugins.hook.vvs_membership_badges(request=app_request,
                                                                           memberships=memberships)
    badges = {b.membership_id: (b.label, b.tone) for answer in answers for b in answer or []}
    by_user = {m.user_id: badges[m.id] for m in memberships}
    assert by_user[resident.id] == ("Aucune preuve d'adresse", "warning")
    assert by_user[others[0].id] == ("Adresse vérifiée (géolocalisation)", "ok")
    assert by_user[others[1].id] == ("Preuve d'adresse en cours d'examen (justificatif de domicile)", "pending")
    assert by_user[others[2].id] == ("Preuve d'adresse non aboutie (attestation d'un voisin)", "warning")


def test_the_referent_and_the_platform_queues_show_the_proof(testapp, world, dbsession):
    world["bourg"].validation_mode = "referent"
    _check(dbsession, world["resident"], "attestation", "passed")
    sign_in(testapp, world["referent"])
    page = testapp.get(f"/communaute/{world['bourg'].id}/demandes")
    assert "Adresse vérifiée (attestation d'un voisin)" in page.text
    sign_in(testapp, world["admin"])
    assert "Adresse vérifiée (attestation d'un voisin)" in testapp.get("/admin/demandes").text


def test_the_mairie_queue_shows_the_proof(testapp, dbsession, mairie, agent_login, make_user):
    mairie.community.validation_mode = "mairie"
    newcomer = make_user(first_name="Zoé")
    dbsession.add(Membership(user_id=newcomer.id, community_id=mairie.community.id, status="pending"))
    dbsession.flush()
    agent_login(testapp, mairie)
    page = testapp.get(f"/communaute/{mairie.community.id}/demandes")
    assert "Zoé" in page.text and "Aucune preuve d'adresse" in page.text
    _check(dbsession, newcomer, "document", "pending")
    page = testapp.get(f"/communaute/{mairie.community.id}/demandes")
    assert "Preuve d'adresse en cours d'examen (justificatif de domicile)" in page.text
