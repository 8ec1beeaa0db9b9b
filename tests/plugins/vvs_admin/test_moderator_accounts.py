"""A moderator suspends, bans or reopens an account (issue 13.2: « account suspension
and ban » are sanctions the charter lets the moderators take): a page of its own that
shows nothing else of the account, reached from the member's moderation history and the
list of sanctions; each decision with a reason, journaled, e-mailed with how to contest;
never on a member of the team; bad input and a stale page change nothing."""
import re
from html import unescape

import pytest
from sqlalchemy import select

from vvs_core.models import CommunityEvent, Notification

REASON = "Menaces envers un voisin « rue de l’Église », signalées à la police municipale 😞"


def state(page) -> str:
    return re.search(r'name="etat" value="([^"]*)"', page.text).group(1)


def test_a_moderator_bans_then_reopens_an_account(testapp, dbsession, moderator, target):
    testapp.login(moderator)
    history = testapp.get(f"/alertes/moderation/membres/{target.id}")
    assert "Suspendre, bannir ou rouvrir son compte" in history.text
    url = f"/admin/utilisateurs/{target.id}/compte"
    page = testapp.get(url)
    text = unescape(page.text)
    assert "Compte de Hélène Lefèvre-Çelik" in text and "Actif" in text
    assert "helene.lefevre@example.test" not in text and "06 12 34 56 78" not in text  # nothing else of the account
    assert 'aria-label="Administration"' not in text  # the administrators' menu is theirs
    # a length typed then left in the form is not read for a ban (only a suspension has one)
    done = testapp.post_csrf(url, {"action": "ban", "jours": "trois", "reason": REASON, "etat": state(page)}, status=303)
    dbsession.refresh(target)
    assert target.status == "banned"
    event = dbsession.scalar(select(CommunityEvent).where(CommunityEvent.kind == "admin_account_banned"))
    assert event.actor_id == moderator.id and event.subject_user_id == target.id and event.data["reason"] == REASON
    mail = dbsession.scalar(select(Notification).where(Notification.recipient_id == target.id,
                                                       Notification.kind == "account"))
    assert mail.title == "Votre compte est banni" and REASON in mail.body and "Pour contester" in mail.body
    page = done.follow()
    text = unescape(page.text)
    assert "Compte de Hélène Lefèvre-Çelik : banni. La personne en est informée par e-mail." in text
    assert "Compte banni" in text and REASON in text  # the decisions on this account
    sanctions = unescape(testapp.get("/alertes/moderation/sanctions").text)
    assert "Comptes suspendus ou bannis (1)" in sanctions and "Hélène Lefèvre-Çelik" in sanctions
    testapp.post_csrf(url, {"action": "reopen", "reason": "Excuses présentées à la référente.", "jours": "0",
                            "etat": state(page)}, status=303)
    dbsession.refresh(target)
    assert target.status == "active"


@pytest.mark.parametrize("fields, message", [
    ({"action": "ban", "reason": ""}, "Indiquez le motif"),
    ({"action": "ban", "reason": "abc"}, "au moins 5 caractères"),
    ({"action": "ban", "reason": "x" * 20000}, "Le motif ne doit pas dépasser 1000 caractères."),
    ({"action": "reopen", "reason": REASON}, "Choisissez une valeur de la liste."),  # not offered for an active account
    ({"action": "<script>", "reason": REASON}, "Choisissez une valeur de la liste."),
    ({"action": "suspend", "jours": "trois", "reason": REASON}, "nombre entier de jours"),  # read for a suspension
])
def test_bad_input_changes_nothing(testapp, dbsession, moderator, target, fields, message):
    testapp.login(moderator)
    url = f"/admin/utilisateurs/{target.id}/compte"
    page = testapp.post_csrf(url, {**fields, "etat": state(testapp.get(url))}, status=400)
    assert message in unescape(page.text)
    dbsession.refresh(target)
    assert target.status == "active"
    assert dbsession.scalar(select(CommunityEvent).where(CommunityEvent.subject_user_id == target.id)) is None


def test_a_stale_page_is_told_and_changes_nothing(testapp, dbsession, moderator, target):
    testapp.login(moderator)
    url = f"/admin/utilisateurs/{target.id}/compte"
    seen = state(testapp.get(url))
    testapp.post_csrf(url, {"action": "suspend", "jours": "3", "reason": REASON, "etat": seen}, status=303)
    second = testapp.post_csrf(url, {"action": "ban", "reason": REASON, "etat": seen}, status=409)
    assert "entre-temps" in unescape(second.text)
    dbsession.refresh(target)
    assert target.status == "suspended"


def test_a_moderator_never_sanctions_a_member_of_the_team(testapp, dbsession, moderator, make_user):
    colleague = make_user(first_name="Inès", is_moderator=True)
    chief = make_user(first_name="Marc", is_admin=True)
    testapp.login(moderator)
    for person in (colleague, chief):
        url = f"/admin/utilisateurs/{person.id}/compte"
        page = testapp.get(url)
        assert "seul un administrateur le suspend" in unescape(page.text) and 'name="etat"' not in page.text
        refused = testapp.post_csrf(url, {"action": "ban", "reason": REASON, "etat": "active:0:1"}, status=400)
        assert "Seul un administrateur suspend, bannit ou rouvre le compte d'un membre de l'équipe" in unescape(refused.text)
        dbsession.refresh(person)
        assert person.status == "active"
    own = testapp.get(f"/admin/utilisateurs/{moderator.id}/compte")
    assert "C'est votre propre compte" in unescape(own.text) and 'name="etat"' not in own.text


def test_unknown_accounts_are_404(testapp, moderator):
    testapp.login(moderator)
    for url in ("/admin/utilisateurs/999999/compte", "/admin/utilisateurs/abc/compte",
                "/admin/utilisateurs/99999999999/compte"):
        testapp.get(url, status=404)


@pytest.mark.parametrize("who, work", [
    ("modérateur", ["Alertes à modérer", "Messages signalés", "Annonces signalées"]),
    ("administrateur", ["Alertes à modérer", "Messages signalés", "Annonces signalées", "Demandes à valider", "Justificatifs", "Administration", "Mairies"]),
])
def test_the_team_home_lists_its_work_not_an_invitation_to_join(testapp, make_user, who, work):
    user = make_user(first_name="Hélène", is_moderator=who == "modérateur", is_admin=who == "administrateur")
    testapp.login(user)
    home = testapp.get("/").html
    assert "membre d'aucune communauté" not in home.text and home.select_one("#h-communaute") is None
    assert [a.text for a in home.select("[aria-labelledby=h-travail] a")] == work
    for link in home.select("[aria-labelledby=h-travail] a"):
        testapp.get(link["href"], status=200)
