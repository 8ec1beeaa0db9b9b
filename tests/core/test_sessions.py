"""Sessions end on the server (issue 15.1): a copy of the cookie taken before logout, a
password change, the closure of the account, a ban or an administrator's "end all
sessions" opens nothing afterwards."""
from __future__ import annotations

from sqlalchemy import select

from vvs_core.testing import VVSTestApp

NEW_PASSWORD = "une phrase de passe toute neuve, ça"


def saved_cookie(client) -> str:
    return client.cookies["vvs_session"]


def replay(app, cookie: str) -> VVSTestApp:
    thief = VVSTestApp(app)
    thief.set_cookie("vvs_session", cookie)
    return thief


def assert_signed_out(client, path="/parametres"):
    res = client.get(path, status=302)
    assert "/connexion" in res.headers["Location"]


def test_a_cookie_saved_before_logout_opens_nothing_after(app, testapp, make_user):
    user = make_user(first_name="Françoise", last_name="Lefèvre")
    testapp.login(user)
    testapp.get("/parametres", status=200)
    cookie = saved_cookie(testapp)
    testapp.post_csrf("/deconnexion", status=303)
    assert_signed_out(replay(app, cookie))
    page = replay(app, cookie).get("/parametres").follow()
    assert "Connexion" in page.text


def test_logging_in_again_does_not_revive_an_old_cookie(app, testapp, make_user):
    user = make_user()
    testapp.login(user)
    old = saved_cookie(testapp)
    testapp.post_csrf("/deconnexion", status=303)
    testapp.login(user)
    testapp.get("/parametres", status=200)
    assert_signed_out(replay(app, old))


def test_logout_ends_only_this_browser(app, testapp, make_user):
    user = make_user()
    phone = VVSTestApp(app)
    phone.login(user)
    testapp.login(user)
    testapp.post_csrf("/deconnexion", status=303)
    phone.get("/parametres", status=200)


def test_a_password_change_ends_every_other_session(app, testapp, make_user):
    user = make_user()
    other = VVSTestApp(app)
    other.login(user)
    testapp.login(user)
    page = testapp.get("/parametres/mot-de-passe")
    form = page.forms["motdepasse"]
    form["current"] = "un voisin attentif 2026"
    form["password"] = NEW_PASSWORD
    form["password-confirm"] = NEW_PASSWORD
    form.submit("submit", status=303)
    testapp.get("/parametres", status=200)  # this one goes on
    assert_signed_out(other)


def test_closing_the_account_ends_its_sessions(app, testapp, make_user):
    user = make_user()
    other = VVSTestApp(app)
    other.login(user)
    testapp.login(user)
    cookie = saved_cookie(testapp)
    page = testapp.get("/parametres/fermeture")
    form = page.forms["fermeture"]
    form["current"] = "un voisin attentif 2026"
    form.submit("submit", status=303)
    assert_signed_out(replay(app, cookie))
    assert_signed_out(other)


def test_an_administrator_ends_all_sessions_bans_and_reopens_from_the_user_page(app, testapp, make_user, dbsession):
    """One way, journaled: the account's page (/admin/utilisateurs/{id}); /admin/comptes is gone."""
    from vvs_core.admin.accounts import account_state
    from vvs_core.models import CommunityEvent

    admin = make_user(is_admin=True)
    user = make_user(email="noemie.benoit@example.test")
    laptop, phone = VVSTestApp(app), VVSTestApp(app)
    laptop.login(user)
    phone.login(user)
    testapp.login(admin)
    page = testapp.get(f"/admin/utilisateurs/{user.id}")
    assert "Sessions ouvertes" in page.text
    testapp.post_csrf("/admin/comptes", {"email": user.email, "action": "ban"}, status=404)
    # no reason: refused in French, nothing closed
    refused = testapp.post_csrf(f"/admin/utilisateurs/{user.id}/sessions", {"reason": ""}, status=400)
    assert "Indiquez le motif" in refused.text
    phone.get("/parametres", status=200)
    done = testapp.post_csrf(f"/admin/utilisateurs/{user.id}/sessions",
                             {"reason": "Téléphone volé, signalé par l’intéressée."}, status=303).follow()
    assert "Toutes les sessions de" in done.text and "2 sessions ouvertes" in done.text
    assert_signed_out(laptop)
    assert_signed_out(phone)
    event = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "admin_sessions_ended",
                                                           CommunityEvent.subject_user_id == user.id)).one()
    assert event.actor_id == admin.id and event.data["reason"] == "Téléphone volé, signalé par l’intéressée."

    phone.login(user)
    dbsession.refresh(user)
    testapp.post_csrf(f"/admin/utilisateurs/{user.id}/statut",
                      {"action": "ban", "reason": "Menaces répétées.", "etat": account_state(user)}, status=303)
    assert_signed_out(phone)
    page = phone.get("/connexion")
    form = page.forms["deform"]
    form["email"], form["password"] = user.email, "un voisin attentif 2026"
    refused = form.submit("submit", status=403)
    assert "suspendu par l'équipe de la plateforme" in refused.text

    dbsession.refresh(user)
    testapp.post_csrf(f"/admin/utilisateurs/{user.id}/statut",
                      {"action": "reopen", "reason": "Excuses présentées.", "etat": account_state(user)}, status=303)
    phone.login(user)
    phone.get("/parametres", status=200)


def test_the_overview_has_no_second_way_to_ban(testapp, make_user):
    testapp.login(make_user(is_admin=True))
    page = testapp.get("/admin")
    assert "Sessions et bannissement" not in page.text and "/admin/comptes" not in page.text
    assert "/admin/utilisateurs" in page.text
