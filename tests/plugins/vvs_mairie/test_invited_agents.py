"""An agent invited by the platform team acts for the mairie only once the invitation is
accepted and the second factor enrolled (walkstaff item 3): until then nothing of the
residents reaches the address the invitation went to (a mistyped one would otherwise
read residents' alerts). One rule (``vvs_mairie.agents.acting_agents``) for every notice:
alerts held for validation, residents' alerts, membership requests, roll-calls and the
register of the vulnerable."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pyotp
from sqlalchemy import select

from vvs_alerts.models import ModerationPolicy
from vvs_core.clock import utcnow
from vvs_core.models import User
from vvs_core.models.notification import Notification
from vvs_core.testing import VVSTestApp
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

REASON = "Arrivée d’Hélène au secrétariat — délibération du 3 mars « urgent » 📨"
INVITED = "secretariat.mairie@serris.test"


def _held_alert(testapp, resident, text):
    """A resident posts an alert, as they do: the form of /alertes/nouvelle."""
    testapp.reset()
    testapp.login(resident)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "autre"
    form["text"] = text
    form.submit("submit", status=303)


def _mails_to(dbsession, user_id, kind):
    return dbsession.scalars(select(Notification).where(Notification.recipient_id == user_id,
                                                        Notification.kind == kind)).all()


def _who_else_hears(app_registry, dbsession, mairie, invited):
    """What the other plugins' hooks answer for the invited agent: residents' alerts,
    roll-call staff, readers of the register of the vulnerable."""
    hook = app_registry.vvs_plugins.hook
    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, environ={})
    alert = SimpleNamespace(id=1, kind="alert", community_id=mairie.community.id, commune_insee=None)
    recipients = {r.user_id for answer in hook.vvs_alert_recipients(request=request, alert=alert) for r in answer or []}
    staff = {uid for answer in hook.vvs_rollcall_staff(request=request, commune=mairie.commune, duty="mairie")
             for uid in answer}
    ccas = {uid for answer in hook.vvs_vulnerable_ccas_agents(request=request, commune=mairie.commune)
            for uid in answer}
    return invited.id in recipients, invited.id in staff, invited.id in ccas


def test_an_invited_agent_hears_nothing_until_invitation_accepted_and_second_factor_enrolled(
        app, testapp, dbsession, app_registry, mairie, make_user, clock):
    now = clock.set(utcnow())
    dbsession.add(ModerationPolicy(commune_id=mairie.commune.id, mode="pre"))
    admin = make_user(first_name="Marc", last_name="Delaunay", is_admin=True)
    resident = mairie.residents[0]
    testapp.login(admin)
    testapp.post_csrf("/mairie/admin/77449/agents", {
        "email": INVITED, "first_name": "Hélène", "last_name": "D’Aubigné", "role": "ccas", "reason": REASON},
        status=303)
    invited = dbsession.scalar(select(User).where(User.email == INVITED))

    # Invited, not yet accepted: the alert held for validation reaches the enrolled agent only.
    first = "Porte fracturée au 20 rue de Lagny cette nuit, vers 3 h ; police prévenue. 🚪"
    _held_alert(testapp, resident, first)
    held = _mails_to(dbsession, mairie.agent_user.id, "mairie_alert_held")
    assert len(held) == 1 and "Porte fracturée au 20 rue de Lagny" in held[0].body
    assert _mails_to(dbsession, invited.id, "mairie_alert_held") == []
    assert _who_else_hears(app_registry, dbsession, mairie, invited) == (False, False, False)
    # Only the invitation went to that address, and it carries nothing of the residents.
    [invitation] = dbsession.scalars(select(Notification).where(Notification.address == INVITED)).all()
    assert invitation.kind == "account" and "Lagny" not in invitation.body
    assert invitation.body.startswith("Bonjour Hélène,\n")  # the first name the team typed

    # Accepted (a password chosen), second factor not yet enrolled: still nothing.
    link = re.search(r"/mairie/invitation/(\S+)", invitation.body).group(0)
    agent_app = VVSTestApp(app)
    opened = agent_app.get(link)
    text = " ".join(opened.html.find("main").get_text().split())
    assert "Rejoindre l'espace « Mairie vigilante de Serris »" in text and "en tant qu'agent du CCAS" in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', opened.text).group(1)
    agent_app.post(link, {"password": "le secrétariat ouvre à 8 h 30", "password_confirm": "le secrétariat ouvre à 8 h 30",
                          "csrf_token": token}, status=303)
    _held_alert(testapp, resident, "Voiture « suspecte » garée devant l’école depuis 2 jours 🚗")
    assert _mails_to(dbsession, invited.id, "mairie_alert_held") == []
    assert _who_else_hears(app_registry, dbsession, mairie, invited) == (False, False, False)

    # Second factor enrolled: from now on the agent hears what the mairie hears.
    page = agent_app.get("/mairie/2fa/activer")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    agent_app.post_csrf("/mairie/2fa/activer", {"code": pyotp.TOTP(secret).at(now)}, status=200)
    _held_alert(testapp, resident, "Démarchage insistant rue Émile Cloud : un faux « agent EDF » 🔌")
    [mail] = _mails_to(dbsession, invited.id, "mairie_alert_held")
    assert "faux « agent EDF » 🔌" in mail.body and mail.address == INVITED
    assert _who_else_hears(app_registry, dbsession, mairie, invited) == (True, True, True)


def test_an_agent_whose_second_factor_was_reset_hears_nothing_until_enrolled_again(
        testapp, dbsession, app_registry, mairie, make_user):
    admin = make_user(first_name="Marc", last_name="Delaunay", is_admin=True)
    testapp.login(admin)
    page = testapp.get("/admin/communes/77449")
    form = re.search(rf'<form[^>]*id="mairie-second_factor-{mairie.agent.id}".*?</form>', page.text, re.S).group(0)
    etat = re.search(r'name="etat" value="([^"]*)"', form).group(1)
    action = re.search(r'action="([^"]+)"', form).group(1)
    testapp.post_csrf(action, {"reason": "Téléphone perdu par l’agent — « urgent »", "etat": etat}, status=303)
    assert _who_else_hears(app_registry, dbsession, mairie, mairie.agent_user) == (False, False, False)
    dbsession.add(ModerationPolicy(commune_id=mairie.commune.id, mode="pre"))
    _held_alert(testapp, mairie.residents[1], "Colis volés dans les boîtes aux lettres, allée des Tilleuls 📦")
    assert _mails_to(dbsession, mairie.agent_user.id, "mairie_alert_held") == []
