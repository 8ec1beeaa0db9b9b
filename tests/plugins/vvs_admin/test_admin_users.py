"""Administration of accounts in the browser (issue 13.1): search, a user's page, role,
suspension, ban, reopening, confirmation e-mail, the journal and its CSV; bad input and
two administrators at once (issue 13.5)."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from vvs_core.models import CommunityEvent, Membership, Notification, Token, User

REASON = "Propos injurieux répétés envers « les voisins » — signalé 3 fois 😞"


@pytest.fixture
def admin(make_user):
    return make_user(first_name="Marc", last_name="Delaunay", is_admin=True)


def page_state(page) -> str:
    return re.search(r'name="etat" value="([^"]*)"', page.text).group(1)


def status_form(testapp, user):
    return testapp.get(f"/admin/utilisateurs/{user.id}").forms["statut"]


def test_search_by_name_email_phone_and_community(testapp, admin, target, make_user, make_community):
    other = make_user(first_name="Paul", last_name="Martin")
    make_community(name="Autre quartier", centre=(2.80, 48.85), members=[other])
    testapp.login(admin)
    for query in ("lefèvre", "HÉLÈNE", "helene.lefevre@", "06 12 34 56 78", "+33612345678", "hélène77"):
        page = testapp.get("/admin/utilisateurs", {"q": query})
        assert "Lefèvre-Çelik" in page.text, query
        assert "Paul Martin" not in page.text, query
    community_id = target.memberships[0].community_id
    page = testapp.get("/admin/utilisateurs", {"communaute": community_id})
    assert "Lefèvre-Çelik" in page.text and "Paul Martin" not in page.text
    # hostile input: no error, no match
    for query in ("%", "_", "' OR 1=1 --", "\\", "x" * 500, "😀"):
        assert testapp.get("/admin/utilisateurs", {"q": query}).status_int == 200
    for bad in ("abc", "-1", "0", "9" * 30, "²", "١٢"):  # « ² » and Arabic digits are digits to Python
        assert testapp.get("/admin/utilisateurs", {"communaute": bad, "page": bad}).status_int == 200


def test_search_is_paginated(testapp, admin, make_user):
    for n in range(30):
        make_user(first_name=f"Zoé{n:02d}", last_name="Pagination")
    testapp.login(admin)
    first = testapp.get("/admin/utilisateurs", {"q": "pagination"})
    assert "30 comptes trouvés" in first.text and "page 1 sur 2" in first.text
    assert first.text.count("Pagination</strong>") == 25
    second = first.click("Page suivante")
    assert second.text.count("Pagination</strong>") == 5


def test_user_page_french_labels_never_a_hash(testapp, admin, target, dbsession):
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{target.id}")
    assert "Lefèvre-Çelik" in page.text and "Les Chênes d'Ô" in page.text
    assert "Membre" in page.text and "Actif" in page.text and "06 12 34 56 78" in page.text
    assert target.password_hash not in page.text and "argon2" not in page.text
    for raw in (">active<", ">member<", ">referent<", ">platform<"):
        assert raw not in page.text
    testapp.get("/admin/utilisateurs/999999", status=404)
    testapp.get("/admin/utilisateurs/abc", status=404)
    testapp.get("/admin/utilisateurs/" + "9" * 30, status=404)


def test_suspend_then_reopen_with_reason_in_journal(testapp, admin, target, dbsession):
    testapp.login(admin)
    form = status_form(testapp, target)
    form["action"] = "suspend"
    form["reason"] = REASON
    page = form.submit("submit").follow()
    assert "Compte suspendu" in page.text
    dbsession.refresh(target)
    assert target.status == "suspended"
    form = page.forms["statut"]
    form["action"] = "reopen"
    form["reason"] = "Excuses présentées à la référente, le 14/07 à 23h30."
    form.submit("submit").follow()
    dbsession.refresh(target)
    assert target.status == "active"
    journal = testapp.get("/admin/journal")
    assert "Compte suspendu" in journal.text and "Compte rouvert" in journal.text
    assert "« les voisins »" in journal.text and "Marc Delaunay" in journal.text
    events = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.subject_user_id == target.id)
                               .order_by(CommunityEvent.id)).all()
    assert [e.kind for e in events][-2:] == ["admin_account_suspended", "admin_account_reopened"]
    assert events[-2].actor_id == admin.id and events[-2].data["reason"] == REASON
    assert not events[-1].public
    # The person is told by e-mail: what, why, and whom to write to contest it.
    notices = dbsession.scalars(select(Notification).where(Notification.recipient_id == target.id,
                                                           Notification.kind == "account")
                                .order_by(Notification.id)).all()
    assert [(n.channel, n.title) for n in notices] == [("email", "Votre compte est suspendu"),
                                                       ("email", "Votre compte est rouvert")]
    assert REASON in notices[0].body and "contester" in notices[0].body and "@" in notices[0].body


def test_suspended_or_banned_cannot_sign_in_and_sessions_end(testapp, app, admin, target, dbsession):
    from vvs_core.testing import DEMO_PASSWORD, VVSTestApp

    victim = VVSTestApp(app)
    victim.login(target)
    assert victim.get("/parametres").status_int == 200
    testapp.login(admin)
    form = status_form(testapp, target)
    form["action"] = "ban"
    form["reason"] = REASON
    form.submit("submit")
    from vvs_admin.accounts import open_sessions

    assert open_sessions(dbsession, target) == 0  # ended on the server, not only in the cookie
    res = victim.get("/parametres", status=302)  # the open session ended
    assert "/connexion" in res.headers["Location"]
    page = victim.get("/connexion")
    form = page.forms["deform"]
    form["email"], form["password"] = target.email, DEMO_PASSWORD
    refused = form.submit("submit", status=403)
    assert "Ce compte a été banni par l'équipe de la plateforme" in refused.text
    journal = testapp.get("/admin/journal")
    assert "Compte banni" in journal.text


def test_change_role_and_refusals(testapp, admin, target, dbsession):
    testapp.login(admin)
    form = testapp.get(f"/admin/utilisateurs/{target.id}").forms["role"]
    form["role"] = "moderator"
    form["reason"] = "Nommée modératrice par le bureau de l'association."
    done = form.submit("submit").follow()
    assert "Rôle d'Hélène Lefèvre-Çelik : modérateur." in done.text  # elided (walk of the staff, item 16)
    dbsession.refresh(target)
    assert target.is_moderator and not target.is_admin
    # an administrator cannot drop their own role
    form = testapp.get(f"/admin/utilisateurs/{admin.id}").forms["role"]
    form["role"] = "resident"
    form["reason"] = "Je pars en vacances longtemps."
    res = form.submit("submit", status=400)
    assert "propre rôle d'administrateur" in res.text
    dbsession.refresh(admin)
    assert admin.is_admin


@pytest.mark.parametrize("reason, message", [
    ("", "Indiquez le motif"),
    ("   ", "Indiquez le motif"),
    ("abc", "au moins 5 caractères"),
    ("x" * 1001, "ne doit pas dépasser 1000 caractères"),
])
def test_bad_reason_changes_nothing(testapp, admin, target, dbsession, reason, message):
    testapp.login(admin)
    state = page_state(testapp.get(f"/admin/utilisateurs/{target.id}"))
    res = testapp.post_csrf(f"/admin/utilisateurs/{target.id}/statut",
                            {"action": "ban", "reason": reason, "etat": state}, status=400)
    assert message in res.text
    dbsession.refresh(target)
    assert target.status == "active"
    assert dbsession.scalar(select(CommunityEvent.id).where(CommunityEvent.subject_user_id == target.id,
                                                            CommunityEvent.kind.like("admin_%"))) is None


@pytest.mark.parametrize("fields", [
    {"action": "explode"}, {"action": ""}, {"action": "reopen"},  # reopen does not apply to an active account
    {"action": "ban", "etat": "n'importe quoi"}, {"action": "ban", "etat": "active:9:9"},
])
def test_hostile_status_fields_change_nothing(testapp, admin, target, dbsession, fields):
    testapp.login(admin)
    state = page_state(testapp.get(f"/admin/utilisateurs/{target.id}"))
    params = {"reason": REASON, "etat": state, **fields}
    res = testapp.post_csrf(f"/admin/utilisateurs/{target.id}/statut", params, expect_errors=True)
    assert res.status_int in (400, 409)
    assert "Traceback" not in res.text
    dbsession.refresh(target)
    assert target.status == "active"


def test_hostile_role_fields(testapp, admin, target, dbsession):
    testapp.login(admin)
    state = page_state(testapp.get(f"/admin/utilisateurs/{target.id}"))
    for role in ("superuser", "", "admin' --"):
        res = testapp.post_csrf(f"/admin/utilisateurs/{target.id}/role",
                                {"role": role, "reason": REASON, "etat": state}, status=400)
        assert "Choisissez une valeur de la liste" in res.text
    dbsession.refresh(target)
    assert not target.is_admin and not target.is_moderator


def test_csrf_is_required(testapp, admin, target, dbsession):
    testapp.login(admin)
    state = page_state(testapp.get(f"/admin/utilisateurs/{target.id}"))
    testapp.post(f"/admin/utilisateurs/{target.id}/statut", {"action": "ban", "reason": REASON, "etat": state},
                 status=400)
    dbsession.refresh(target)
    assert target.status == "active"


def test_two_administrators_at_once_one_result_and_a_message(testapp, app, admin, target, make_user, dbsession):
    from vvs_core.testing import VVSTestApp

    second = VVSTestApp(app)
    second.login(make_user(first_name="Inès", last_name="Bérénice", is_admin=True))
    testapp.login(admin)
    first_form = status_form(testapp, target)
    second_form = status_form(second, target)  # both saw an active account
    first_form["action"], first_form["reason"] = "suspend", REASON
    first_form.submit("submit", status=303)
    second_form["action"], second_form["reason"] = "ban", "Même motif, vu en même temps."
    res = second_form.submit("submit", status=409)
    assert "Un autre membre de l'équipe a modifié ce compte entre-temps" in res.text
    assert "Compte suspendu" in res.text  # the page shows the state now
    dbsession.refresh(target)
    assert target.status == "suspended"
    kinds = dbsession.scalars(select(CommunityEvent.kind).where(CommunityEvent.subject_user_id == target.id)).all()
    assert kinds.count("admin_account_suspended") == 1 and "admin_account_banned" not in kinds
    # the same for roles: the second change made on a stale page is refused
    one = testapp.get(f"/admin/utilisateurs/{target.id}").forms["role"]
    two = second.get(f"/admin/utilisateurs/{target.id}").forms["role"]
    one["role"], one["reason"] = "moderator", REASON
    one.submit("submit", status=303)
    two["role"], two["reason"] = "admin", REASON
    two.submit("submit", status=409)
    dbsession.refresh(target)
    assert target.is_moderator and not target.is_admin


def test_resend_confirmation(testapp, admin, make_user, dbsession):
    user = make_user(first_name="Noël", email_confirmed_at=None)
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{user.id}")
    form = page.forms["confirmation"]
    form["reason"] = "Le résident n'a jamais reçu le premier e-mail."
    form.submit("submit").follow()
    tokens = dbsession.scalars(select(Token).where(Token.user_id == user.id, Token.purpose == "email_confirm")).all()
    assert len(tokens) == 1
    assert "E-mail de confirmation renvoyé" in testapp.get("/admin/journal").text
    # already confirmed: refused in French, nothing sent
    confirmed = make_user()
    from vvs_core.clock import utcnow

    confirmed.email_confirmed_at = utcnow()
    dbsession.flush()
    res = testapp.post_csrf(f"/admin/utilisateurs/{confirmed.id}/confirmation", {"reason": REASON}, status=400)
    assert "déjà confirmée" in res.text


def test_journal_csv_export_and_filter(testapp, admin, target, make_user, dbsession):
    testapp.login(admin)
    form = status_form(testapp, target)
    form["action"], form["reason"] = "suspend", "=HYPERLINK(\"http://evil\") « motif »"
    form.submit("submit")
    res = testapp.get("/admin/journal.csv")
    assert res.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(res.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Auteur", "Action"]
    row = [r for r in rows if "Compte suspendu" in r][0]
    assert row[-1].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert "Hélène Lefèvre-Çelik" in row
    filtered = testapp.get("/admin/journal", {"utilisateur": make_user().id})
    assert "Aucune entrée" in filtered.text
    assert testapp.get("/admin/journal", {"utilisateur": "abc", "page": "-3"}).status_int == 200
    assert testapp.get("/admin/journal", {"utilisateur": "²", "page": "²"}).status_int == 200


def test_membership_labels(testapp, admin, target, make_community, dbsession):
    other = make_community(name="Quartier en attente", centre=(2.80, 48.85))
    dbsession.add(Membership(user_id=target.id, community_id=other.id, status="pending"))
    dbsession.flush()
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{target.id}")
    assert "en attente de validation" in page.text
    assert not dbsession.get(User, target.id).is_closed


@pytest.mark.parametrize("kind", ["alert_lift", "a_kind_of_a_disabled_plugin"])
def test_journal_shows_events_that_are_not_the_platform_teams(testapp, admin, target, dbsession, kind):
    """The journal lists every non-public event: the labels of other kinds (a moderator's, a
    disabled plugin's) come from the event-kind registry, never a 500 (seen in the browser)."""
    dbsession.add(CommunityEvent(kind=kind, public=False, actor_id=admin.id, subject_user_id=target.id,
                                 data={"reason": "Propos injurieux dans la gazette."}))
    dbsession.flush()
    testapp.login(admin)
    journal = testapp.get("/admin/journal")
    assert "Propos injurieux" in journal.text or "Lefèvre" in journal.text
    page = testapp.get(f"/admin/utilisateurs/{target.id}")
    assert "Événement" in page.text or "suspension" in page.text.lower()


def test_the_platform_queue_has_the_administration_sub_menu(testapp, admin, make_user, make_community):
    """Walk of the staff, item 16: /admin/demandes, the core's page, lacked the menu of every other admin page."""
    testapp.login(admin)
    for path in ("/admin/demandes", "/admin"):
        nav = testapp.get(path).html.select("nav.admin-nav")
        assert len(nav) == 1, path
        assert [a.get_text() for a in nav[0].select("a")][:4] == ["Vue d'ensemble", "Utilisateurs", "Communes",
                                                                 "Demandes à valider"]
    # a référent's own queue is not an administration page
    referent = make_user(first_name="Éloïse")
    community = make_community("Les Jardins d’Ève", referents=[referent])
    testapp.reset()
    testapp.login(referent)
    assert testapp.get(f"/communaute/{community.id}/demandes").html.select("nav.admin-nav") == []
