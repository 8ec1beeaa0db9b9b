"""The town hall's block on the platform team's page of a commune (issue 13.1, hook
vvs_admin_commune_panels): subscription, invite an agent, remove one, reset a second
factor; each with a reason in the journal; bad input refused in French with nothing
changed; two administrators at once: one result and a message (issue 13.5)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from vvs_core.models import CommunityEvent, User
from vvs_core.testing import VVSTestApp, build_app_on_session
from vvs_mairie.models import MairieAgent, RecoveryCode
from vvs_mairie.testing import agent_login, enrol_agent, mairie  # noqa: F401

REASON = "Demande écrite du maire, reçue le 3 mars — « urgent » 📨"
PAGE = "/admin/communes/77449"


@pytest.fixture
def admin(make_user):
    return make_user(first_name="Marc", last_name="Delaunay", is_admin=True)


def etat(page, formid) -> str:
    form = re.search(rf'<form[^>]*id="{formid}".*?</form>', page.text, re.S).group(0)
    return re.search(r'name="etat" value="([^"]*)"', form).group(1)


def events(dbsession, kind):
    return dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == kind)).all()


def test_vvs_admin_commune_panels(testapp, dbsession, mairie, admin):
    testapp.login(admin)
    page = testapp.get(PAGE)
    assert "Mairie vigilante : <strong>oui</strong>" in page.text
    assert "Agnès Marchand" in page.text and "Agent de mairie" in page.text
    assert "double authentification active" in page.text
    assert mairie.agent.user.password_hash not in page.text
    for formid in ("mairie-abonnement", "mairie-invitation", f"mairie-remove-{mairie.agent.id}",
                   f"mairie-second_factor-{mairie.agent.id}"):
        assert f'id="{formid}"' in page.text, formid


def test_vvs_admin_user_panels_shows_the_agent_role(testapp, mairie, admin):
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{mairie.agent_user.id}")
    assert "À la mairie" in page.text and "Agent de mairie — " in page.text and "mairie de Serris" in page.text


def test_subscription_is_journaled_and_checks_what_was_seen(testapp, dbsession, mairie, admin):
    testapp.login(admin)
    page = testapp.get(PAGE)
    seen = etat(page, "mairie-abonnement")
    url = PAGE.replace("/admin/communes", "/mairie/admin") + "/abonnement"
    refused = testapp.post_csrf(url, {"subscribed": "true", "impose_validation": "true", "reason": "ok",
                                      "etat": seen}, status=400)
    assert "au moins 5 caractères" in refused.text
    # answered by the block on a page of its own, the form as typed, a way back to the commune's page
    assert 'id="mairie-abonnement"' in refused.text and f'href="{PAGE}#mairie"' in refused.text
    assert re.search(r'<details open="open">\s*<summary>Modifier l\'abonnement', refused.text)  # not folded away
    dbsession.refresh(mairie.mairie)
    assert mairie.mairie.impose_validation is False
    testapp.post_csrf(url, {"subscribed": "true", "impose_validation": "true", "reason": REASON, "etat": seen},
                      status=303)
    dbsession.refresh(mairie.mairie)
    assert mairie.mairie.impose_validation is True and mairie.mairie.subscribed is True
    [event] = events(dbsession, "mairie_admin_subscription")
    assert event.data["reason"] == REASON and event.actor_id == admin.id
    assert "validation par la mairie : oui" in event.data["apres"]
    # a second administrator on the page shown before: one result, a message, no 500
    stale = testapp.post_csrf(url, {"subscribed": "false", "reason": REASON, "etat": seen}, status=409)
    assert "Un autre membre de l'équipe a modifié l'abonnement" in stale.text
    dbsession.refresh(mairie.mairie)
    assert mairie.mairie.subscribed is True
    journal = testapp.get("/admin/journal")
    assert "Abonnement « Mairie vigilante » modifié par l'équipe" in journal.text


@pytest.mark.parametrize("fields, message", [
    ({"email": "pas-une-adresse", "role": "agent"}, "Adresse e-mail invalide."),
    ({"email": "agent@serris", "role": "agent"}, "Adresse e-mail incomplète : il manque la fin"),
    ({"email": "agent@example.test", "role": "maire"}, "Choisissez une valeur de la liste."),
    ({"email": "agent@example.test", "role": "agent", "first_name": "É" * 81}, "80 caractères au plus."),
    ({"email": "agent@example.test", "role": "agent", "last_name": "Dupré 3"}, "Un nom s'écrit avec des lettres"),
    ({"email": "agent@example.test", "role": "agent", "first_name": "🌻"}, "Un nom s'écrit avec des lettres"),
    ({"email": "agent@example.test", "role": "agent", "reason": ""}, "Indiquez le motif"),
])
def test_bad_invitations_change_nothing(testapp, dbsession, mairie, admin, fields, message):
    testapp.login(admin)
    before = dbsession.scalar(select(func.count(MairieAgent.id)))
    refused = testapp.post_csrf("/mairie/admin/77449/agents", {"reason": REASON, **fields}, status=400)
    assert message in refused.text
    assert dbsession.scalar(select(func.count(MairieAgent.id))) == before
    assert not events(dbsession, "mairie_admin_agent_invited")


def test_invite_is_journaled_and_refused_while_not_subscribed(testapp, dbsession, mairie, admin, make_user):
    testapp.login(admin)
    form = {"email": "Jeanne.Dupre@Mairie-Serris.test", "first_name": "Jeanne", "last_name": "Dupré",
            "role": "police", "reason": REASON}
    testapp.post_csrf("/mairie/admin/77449/agents", form, status=303)
    user = dbsession.scalar(select(User).where(User.email == "jeanne.dupre@mairie-serris.test"))
    agent = dbsession.scalar(select(MairieAgent).where(MairieAgent.user_id == user.id))
    assert agent.role == "police" and agent.active
    [event] = events(dbsession, "mairie_admin_agent_invited")
    assert event.subject_user_id == user.id and event.data["apres"] == "Police municipale"
    banned = make_user(email="banni@example.test")
    banned.status = "banned"
    dbsession.flush()
    refused = testapp.post_csrf("/mairie/admin/77449/agents", {**form, "email": "banni@example.test"}, status=400)
    assert "ne peut pas devenir agent" in refused.text
    mairie.mairie.subscribed = False
    dbsession.flush()
    refused = testapp.post_csrf("/mairie/admin/77449/agents", {**form, "email": "autre@example.test"}, status=400)
    assert "Marquez d'abord la commune comme « Mairie vigilante »" in refused.text
    assert dbsession.scalar(select(User.id).where(User.email == "autre@example.test")) is None


def test_reset_second_factor_then_the_agent_enrols_again(app, testapp, dbsession, mairie, admin, agent_login):
    from vvs_core.testing import VVSTestApp

    agent_app = VVSTestApp(app)
    agent_login(agent_app, mairie)
    agent_app.get("/mairie/77449", status=200)
    testapp.login(admin)
    page = testapp.get(PAGE)
    formid = f"mairie-second_factor-{mairie.agent.id}"
    url = f"/mairie/admin/77449/agents/{mairie.agent.id}/double-authentification"
    seen = etat(page, formid)
    testapp.post_csrf(url, {"reason": "x", "etat": seen}, status=400)
    assert dbsession.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.agent_id == mairie.agent.id))
    testapp.post_csrf(url, {"reason": "Téléphone de l’agent perdu le 2 mars.", "etat": seen}, status=303)
    dbsession.refresh(mairie.agent)
    assert mairie.agent.totp_secret is None and mairie.agent.totp_confirmed_at is None
    assert not dbsession.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.agent_id == mairie.agent.id))
    [event] = events(dbsession, "mairie_admin_second_factor_reset")
    assert event.data["reason"] == "Téléphone de l’agent perdu le 2 mars."
    # the agent's session ended; their next sign-in enrols a new second factor
    assert agent_app.get("/mairie/77449").status_int in (302, 303)
    agent_app.reset()
    agent_app.login(mairie.agent_user)
    assert agent_app.get("/mairie").location.endswith("/mairie/2fa/activer")
    # the same form again (a second administrator): refused with a message, no 500
    again = testapp.post_csrf(url, {"reason": REASON, "etat": seen}, status=400)
    assert "pas encore activé sa double authentification" in again.text


def test_remove_agent_once_second_administrator_is_told(testapp, dbsession, mairie, admin):
    testapp.login(admin)
    page = testapp.get(PAGE)
    formid = f"mairie-remove-{mairie.agent.id}"
    url = f"/mairie/admin/77449/agents/{mairie.agent.id}/retrait"
    seen = etat(page, formid)
    testapp.post_csrf(url, {"reason": REASON, "etat": seen}, status=303)
    dbsession.refresh(mairie.agent)
    assert mairie.agent.active is False
    again = testapp.post_csrf(url, {"reason": REASON, "etat": seen}, status=400)
    assert "Cet agent a déjà été retiré." in again.text
    assert len(events(dbsession, "mairie_admin_agent_removed")) == 1
    testapp.post_csrf("/mairie/admin/77449/agents/999999/retrait", {"reason": REASON, "etat": seen}, status=404)
    testapp.post_csrf("/mairie/admin/99999/agents/1/retrait", {"reason": REASON, "etat": seen}, status=404)


def test_stale_agent_state_is_a_conflict(testapp, dbsession, mairie, admin):
    testapp.login(admin)
    url = f"/mairie/admin/77449/agents/{mairie.agent.id}/retrait"
    for seen in ("1:0", "zz", ""):
        refused = testapp.post_csrf(url, {"reason": REASON, "etat": seen}, status=409)
        assert "Un autre membre de l'équipe a modifié cet agent entre-temps" in refused.text
    dbsession.refresh(mairie.agent)
    assert mairie.agent.active is True


def test_without_vvs_admin_the_block_has_a_page_of_its_own(db_url, session_factory, dbsession, mairie, admin):
    """vvs_admin off: /mairie/admin/{insee} shows the town hall's block itself (no link to
    the administration's pages, which do not exist), and its actions come back to it."""
    testapp = VVSTestApp(build_app_on_session(db_url, session_factory, "vvs_dev_providers vvs_alerts vvs_mairie"))
    testapp.login(admin)
    testapp.get(PAGE, status=404)
    listing = testapp.get("/mairie/admin")
    assert 'href="/mairie/admin/77449"' in listing.text and "/admin/communes" not in listing.text
    page = testapp.get("/mairie/admin/77449", status=200)
    assert "Mairie de Serris" in page.text and "Agnès Marchand" in page.text
    assert "/admin/utilisateurs" not in page.text and "Retour à la page de la commune" not in page.text
    url = "/mairie/admin/77449/abonnement"
    form = {"subscribed": "true", "impose_validation": "true", "etat": etat(page, "mairie-abonnement")}
    refused = testapp.post_csrf(url, {**form, "reason": "ok"}, status=400)
    assert "au moins 5 caractères" in refused.text
    done = testapp.post_csrf(url, {**form, "reason": REASON}, status=303)
    assert done.location.endswith("/mairie/admin/77449")
    dbsession.refresh(mairie.mairie)
    assert mairie.mairie.impose_validation is True
    assert events(dbsession, "mairie_admin_subscription")[0].data["reason"] == REASON
