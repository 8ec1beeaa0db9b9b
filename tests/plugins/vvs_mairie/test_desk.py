"""Accounts run at the mairie desk (issue 18.4): an agent opens an account for a resident
without a smartphone, acts for it with a written reason per session (logged, expiring by
itself, never on the credentials pages), then hands it to the resident."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import CommunityEvent, Membership, Notification, User
from vvs_mairie.models import DeskAccount, DeskAction, DeskSession
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

from mairie_world import chessy_with_mairie

DESK = "/mairie/77449/guichet"
REASON = "Mme Lefèvre a appelé la mairie : elle signale une voiture « suspecte » rue de l’Église 📞"


def _open(testapp, setup, **over):
    form = {"first_name": "Germaine", "last_name": "Lefèvre-Ôzil", "phone": "01 99 00 12 34",
            "address": "3 rue de l’Église, 77700 Serris", "community": str(setup.community.id),
            "reason": "Venue au guichet, sans téléphone portable ni internet.", **over}
    return testapp.post_csrf(DESK, form, expect_errors=True)


def _account(dbsession):
    return dbsession.scalars(select(DeskAccount)).one()


def events(dbsession, kind):
    return dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == kind)).all()


def test_vvs_acting_for(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    assert _open(testapp, mairie).status_int == 303
    account = _account(dbsession)
    resident = account.user
    assert resident.email is None and resident.password_hash is None and resident.landline == "+33199001234"
    assert dbsession.scalar(select(Membership.status).where(Membership.user_id == resident.id)) == "pending"
    [created] = events(dbsession, "mairie_desk_account_created")
    assert created.actor_id == mairie.agent_user.id and created.subject_user_id == resident.id
    page = testapp.get(DESK)
    assert "Germaine Lefèvre-Ôzil" in page.text and "01 99 00 12 34" in page.text
    # a session needs a written reason
    url = f"{DESK}/{account.id}/session"
    refused = testapp.post_csrf(url, {"reason": "ok"}, status=400)
    assert "au moins" in refused.text and dbsession.scalars(select(DeskSession)).all() == []
    testapp.post_csrf(url, {"reason": REASON}, status=303)
    [session] = dbsession.scalars(select(DeskSession)).all()
    assert session.reason == REASON and session.expires_at - session.started_at == timedelta(minutes=30)
    assert events(dbsession, "mairie_desk_session_started")[0].data["reason"] == REASON
    # the agent's requests are the resident's now
    home = testapp.get("/")
    assert "Terminer la session pour Germaine Lefèvre-Ôzil" in home.text
    testapp.get("/mairie/77449", status=403)  # not an agent while acting
    for credentials in ("/parametres/mot-de-passe", "/parametres/adresse-email", "/parametres/fermeture",
                        "/parametres/jetons", "/parametres/mes-donnees"):
        testapp.get(credentials, status=403)
    testapp.get("/parametres/notifications", status=200)
    answer = testapp.post_csrf("/parametres/fermeture", {"confirm": "1"}, expect_errors=True)
    assert answer.status_int == 403
    dbsession.refresh(resident)
    assert resident.status == "active"
    assert dbsession.scalars(select(DeskAction)).all() == []  # refused: nothing done, nothing kept
    # a change made for the resident (their notification settings) is kept in the session's log
    form = testapp.get("/parametres/notifications").forms["notifications"]
    assert form.submit(status="*").status_int in (200, 303)
    assert [a.path for a in dbsession.scalars(select(DeskAction))] == ["/parametres/notifications"]
    # ending it: the agent is themselves again, and the journal says so
    end = testapp.get("/mairie/guichet/fin")
    assert "Vous agissez pour" in end.text and REASON in end.text
    back = testapp.post_csrf("/mairie/guichet/fin", {}, status=303)
    assert back.location.endswith(DESK)
    testapp.get("/mairie/77449", status=200)
    testapp.get("/mairie/guichet/fin", status=404)
    [ended] = events(dbsession, "mairie_desk_session_ended")
    assert ended.data["modifications"] == 1
    dbsession.refresh(session)
    assert session.ended_at is not None


def test_a_session_expires_by_itself(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    _open(testapp, mairie)
    account = _account(dbsession)
    testapp.post_csrf(f"{DESK}/{account.id}/session", {"reason": REASON}, status=303)
    assert "Terminer la session" in testapp.get("/").text
    session = dbsession.scalars(select(DeskSession)).one()
    session.expires_at = utcnow() - timedelta(seconds=1)
    dbsession.flush()
    testapp.get("/mairie/77449", status=200)  # the agent again, with nothing to do
    assert "Terminer la session" not in testapp.get("/").text


@pytest.mark.parametrize("over, message", [
    ({"first_name": ""}, "Ce champ est obligatoire"),
    ({"last_name": "é" * 81}, "80 caractères au plus"),
    ({"first_name": "Germaine2"}, "Un nom s'écrit avec des lettres"),
    ({"last_name": "<b>Lefèvre</b>"}, "Un nom s'écrit avec des lettres"),
    ({"address": "x" * 256}, "255 caractères au plus (256 saisis)"),
    ({"address": "3 rue de l’Église\x00"}, "caractères de contrôle"),
    ({"phone": "pas un numéro"}, ""),
    ({"phone": "9" * 30}, ""),
    ({"community": "999999999"}, "Choisissez une valeur de la liste"),
    ({"community": "abc"}, "Choisissez une valeur de la liste"),
    ({"reason": ""}, "Indiquez le motif"),
    ({"reason": "x" * 20000}, "ne doit pas dépasser"),
])
def test_bad_input_opens_nothing(testapp, dbsession, mairie, agent_login, over, message):
    agent_login(testapp, mairie)
    answer = _open(testapp, mairie, **over)
    assert answer.status_int == 400 and message in answer.text
    assert dbsession.scalars(select(DeskAccount)).all() == []
    assert dbsession.scalar(select(User).where(User.first_name == "Germaine")) is None


def test_the_account_is_handed_to_the_resident(testapp, dbsession, mairie, agent_login, make_user):
    agent_login(testapp, mairie)
    _open(testapp, mairie)
    account = _account(dbsession)
    url = f"{DESK}/{account.id}/remise"
    make_user(email="deja.pris@example.test")
    taken = testapp.post_csrf(url, {"email": "Deja.Pris@example.test", "reason": "Sa fille lui a créé une adresse."},
                              status=409)
    assert "déjà celle d'un autre compte" in taken.text
    testapp.post_csrf(url, {"email": "pas-une-adresse", "reason": "Sa fille lui a créé une adresse."}, status=400)
    incomplete = testapp.post_csrf(url, {"email": "germaine@orange", "reason": "Sa fille lui a créé une adresse."},
                                   status=400)
    assert "Adresse e-mail incomplète : il manque la fin, par exemple « @orange.fr »." in incomplete.text
    testapp.post_csrf(url, {"email": "germaine.lefevre@example.test", "reason": "Sa fille lui a créé une adresse."},
                      status=303)
    dbsession.refresh(account)
    assert account.handed_over_at is not None and account.user.email == "germaine.lefevre@example.test"
    notice = dbsession.scalars(select(Notification).where(Notification.recipient_id == account.user_id,
                                                          Notification.kind == "mairie_handover")).one()
    assert "/mot-de-passe/nouveau/" in notice.body and "choisissez votre mot de passe" in notice.body
    # the e-mail that hands an account over is not one of « the mairie's messages »: no stop link
    # (« ne plus recevoir les messages de la mairie », List-Unsubscribe) under the password link
    from pyramid.scripting import prepare

    request = prepare(registry=testapp.app.registry)["request"]
    request.dbsession = dbsession
    mail = testapp.app.registry.vvs_plugins.hook.vvs_render_notification(request=request, notification=notice,
                                                                          channel="email")
    assert "List-Unsubscribe" not in (mail.get("headers") or {}) and "messages de la mairie" not in mail["text"], mail
    assert events(dbsession, "mairie_desk_account_handed_over")
    refused = testapp.post_csrf(f"{DESK}/{account.id}/session", {"reason": REASON}, status=409)
    assert "remis à son titulaire" in refused.text
    testapp.post_csrf(url, {"email": "autre@example.test", "reason": "Encore une fois, par erreur."}, status=409)
    # the resident chooses a password through the link, and signs in
    import re

    link = re.search(r"/mot-de-passe/nouveau/\S+", notice.body).group(0)
    testapp.reset()
    form = testapp.get(link).forms["deform"]
    form["password"] = form["password-confirm"] = "une phrase de passe bien à moi"
    form.submit("submit", status=303)
    testapp.login("germaine.lefevre@example.test", "une phrase de passe bien à moi")
    home = testapp.get("/", status="*")
    assert home.status_int in (200, 302, 303), home.status


def test_another_communes_agent_reaches_no_desk_account(testapp, dbsession, mairie, agent_login, make_user):
    from vvs_core.testing import TEST_SECRET
    from vvs_mairie.testing import enrol_agent

    agent_login(testapp, mairie)
    _open(testapp, mairie)
    account = _account(dbsession)
    chessy = chessy_with_mairie(dbsession)
    other = make_user()
    _agent, secret = enrol_agent(dbsession, TEST_SECRET, other, chessy)
    import pyotp

    testapp.reset()
    testapp.login(other)
    testapp.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    testapp.post_csrf(f"{DESK}/{account.id}/session", {"reason": REASON}, status=403)
    testapp.post_csrf(f"/mairie/77111/guichet/{account.id}/session", {"reason": REASON}, status=404)
    testapp.post_csrf(f"/mairie/77111/guichet/{'9' * 30}/session", {"reason": REASON}, status=404)
    assert dbsession.scalars(select(DeskSession)).all() == []
