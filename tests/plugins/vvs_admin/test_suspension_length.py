"""An account suspension has a length (issue 13.2): whole days, 1 to 365, validated on the
server; it ends at a date the e-mail, the sign-in page, the account page and the list of
sanctions give (Paris time); the person is back by themselves once it is past; a second
suspension gives a new end (never a second suspension); a ban has no end; two moderators
at once: the second is told (409)."""
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from vvs_core.models import CommunityEvent, Notification
from vvs_core.testing import DEMO_PASSWORD, VVSTestApp
from vvs_core.web.timefmt import dates

REASON = "Insultes répétées « rue de l’Église » envers une voisine 😞"
DAYS_WRONG = "La durée de suspension doit être un nombre entier de jours, de 1 à 365. Rien n'a été changé."


@pytest.fixture
def target(make_user, make_community):
    user = make_user(first_name="Hélène", last_name="Lefèvre-Çelik", email="helene.suspendue@example.test")
    make_community(name="Les Chênes d'Ô", members=[user])
    return user


def state(page) -> str:
    return re.search(r'name="etat" value="([^"]*)"', page.text).group(1)


def suspend(testapp, target, days, reason=REASON, status=303, seen=None):
    url = f"/admin/utilisateurs/{target.id}/compte"
    seen = seen if seen is not None else state(testapp.get(url))
    return testapp.post_csrf(url, {"action": "suspend", "jours": days, "reason": reason, "etat": seen}, status=status)


def sign_in(app, user, status):
    person = VVSTestApp(app)
    form = person.get("/connexion").forms["deform"]
    form["email"], form["password"] = user.email, DEMO_PASSWORD
    return form.submit("submit", status=status)


def test_suspended_for_three_days_then_back_by_themselves(testapp, app, dbsession, clock, moderator, target):
    clock.set_local(2026, 12, 6, 19, 30)
    testapp.login(moderator)
    done = suspend(testapp, target, " 3 ")
    dbsession.refresh(target)
    assert target.status == "suspended" and target.suspended_until == clock.now() + timedelta(days=3)
    until = dates.datetime(target.suspended_until)
    assert until == "09/12/2026 à 19:30"  # Paris time
    page = unescape(done.follow().text)
    assert f"compte suspendu jusqu'au {until}" in page and "La personne en est informée par e-mail." in page
    mail = dbsession.scalar(select(Notification).where(Notification.recipient_id == target.id,
                                                       Notification.kind == "account"))
    assert f"jusqu'au {until}" in mail.body and REASON in mail.body and "Pour contester cette décision" in mail.body
    sanctions = unescape(testapp.get("/alertes/moderation/sanctions").text)
    assert f"jusqu'au {until}" in sanctions and "Hélène Lefèvre-Çelik" in sanctions
    refused = unescape(sign_in(app, target, 403).text)
    assert f"Ce compte a été suspendu jusqu'au {until} par l'équipe de la plateforme" in refused

    clock.advance(days=3, seconds=1)
    assert sign_in(app, target, 303).headers["Location"]
    dbsession.refresh(target)
    assert target.status == "active" and target.suspended_until is not None  # its date kept, shown as ended
    testapp.login(moderator)  # three days later: the moderator's session has ended too
    page = unescape(testapp.get(f"/admin/utilisateurs/{target.id}/compte").text)
    assert f"suspension terminée le {until}" in page
    assert "Hélène" not in unescape(testapp.get("/alertes/moderation/sanctions").text)


def test_the_team_page_shows_a_past_suspension_as_ended(testapp, dbsession, clock, moderator, target):
    testapp.login(moderator)
    suspend(testapp, target, "1")
    clock.advance(days=2)
    testapp.login(moderator)
    page = unescape(testapp.get(f"/admin/utilisateurs/{target.id}/compte").text)
    assert "Actif (suspension terminée le" in page
    assert "Comptes suspendus ou bannis (0)" in unescape(testapp.get("/alertes/moderation/sanctions").text)


@pytest.mark.parametrize("days", ["-5", "0", "999999", "abc", "²", "3" * 30, "", "2.5", "３", "🙂"])
def test_a_wrong_length_changes_nothing(testapp, dbsession, moderator, target, days):
    testapp.login(moderator)
    page = suspend(testapp, target, days, status=400)
    assert DAYS_WRONG in unescape(page.text)
    dbsession.refresh(target)
    assert target.status == "active" and target.suspended_until is None
    assert dbsession.scalar(select(CommunityEvent).where(CommunityEvent.subject_user_id == target.id)) is None
    assert dbsession.scalar(select(Notification).where(Notification.recipient_id == target.id,
                                                       Notification.kind == "account")) is None


def test_a_second_suspension_gives_a_new_end_never_a_second_one(testapp, dbsession, clock, moderator, target):
    clock.set_local(2026, 12, 6, 10, 0)
    testapp.login(moderator)
    suspend(testapp, target, "30")
    suspend(testapp, target, "2")  # shortened
    dbsession.refresh(target)
    assert target.status == "suspended" and target.suspended_until == clock.now() + timedelta(days=2)
    suspend(testapp, target, "365")  # extended
    dbsession.refresh(target)
    assert target.suspended_until == clock.now() + timedelta(days=365)
    events = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.subject_user_id == target.id)
                               .order_by(CommunityEvent.id)).all()
    assert [e.data["days"] for e in events] == [30, 2, 365]
    assert events[1].data["avant"] == "Compte suspendu jusqu'au 05/01/2027 à 10:00"
    assert events[1].data["apres"] == "Compte suspendu jusqu'au 08/12/2026 à 10:00"


def test_two_moderators_at_once_the_second_is_told(testapp, app, dbsession, moderator, make_user, target):
    other = VVSTestApp(app)
    other.login(make_user(first_name="Inès", is_moderator=True))
    testapp.login(moderator)
    url = f"/admin/utilisateurs/{target.id}/compte"
    suspend(testapp, target, "5")
    seen = state(testapp.get(url))
    seen_by_other = state(other.get(url))
    suspend(testapp, target, "10", seen=seen)
    second = suspend(other, target, "1", seen=seen_by_other, status=409)
    assert "entre-temps" in unescape(second.text)
    dbsession.refresh(target)
    events = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.subject_user_id == target.id)).all()
    assert [e.data["days"] for e in events] == [5, 10]


def test_a_ban_has_no_end(testapp, dbsession, moderator, target):
    testapp.login(moderator)
    suspend(testapp, target, "3")
    url = f"/admin/utilisateurs/{target.id}/compte"
    testapp.post_csrf(url, {"action": "ban", "jours": "", "reason": REASON, "etat": state(testapp.get(url))},
                      status=303)
    dbsession.refresh(target)
    assert target.status == "banned" and target.suspended_until is None
    mails = dbsession.scalars(select(Notification).where(Notification.recipient_id == target.id,
                                                         Notification.kind == "account")
                              .order_by(Notification.id)).all()
    assert "sans date de fin" in mails[-1].body


def test_the_administrators_page_also_asks_the_length(testapp, dbsession, make_user, target):
    testapp.login(make_user(first_name="Adèle", is_admin=True))
    form = testapp.get(f"/admin/utilisateurs/{target.id}").forms["statut"]
    assert form["jours"].value == "7"
    form["action"], form["jours"], form["reason"] = "suspend", "0", REASON
    assert DAYS_WRONG in unescape(form.submit("submit", status=400).text)
    form = testapp.get(f"/admin/utilisateurs/{target.id}").forms["statut"]
    form["action"], form["jours"], form["reason"] = "suspend", "12", REASON
    page = unescape(form.submit("submit").follow().text)
    dbsession.refresh(target)
    assert f"Compte suspendu jusqu'au {dates.datetime(target.suspended_until)}" in page
    listed = unescape(testapp.get("/admin/utilisateurs", params={"q": "lefèvre"}).text)
    assert f"Compte suspendu jusqu'au {dates.date(target.suspended_until)}" in listed
