"""Sessions end on the server (issue 15.1): a copy of the cookie taken before logout, a
password change, the closure of the account, a ban or an administrator's "end all
sessions" opens nothing afterwards."""
from __future__ import annotations

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


def test_an_administrator_ends_all_sessions_bans_and_lifts_the_ban(app, testapp, make_user):
    admin = make_user(is_admin=True)
    user = make_user(email="noemie.benoit@example.test")
    laptop, phone = VVSTestApp(app), VVSTestApp(app)
    laptop.login(user)
    phone.login(user)
    testapp.login(admin)
    page = testapp.get("/admin")
    assert "Sessions et bannissement" in page.text
    done = testapp.post_csrf("/admin/comptes", {"email": "Noemie.Benoit@example.test", "action": "sessions"},
                             status=303).follow()
    assert "Toutes les sessions de" in done.text
    assert_signed_out(laptop)
    assert_signed_out(phone)

    phone.login(user)
    testapp.post_csrf("/admin/comptes", {"email": user.email, "action": "ban"}, status=303)
    assert_signed_out(phone)
    page = phone.get("/connexion")
    form = page.forms["deform"]
    form["email"], form["password"] = user.email, "un voisin attentif 2026"
    refused = form.submit("submit", status=403)
    assert "suspendu par l'équipe de la plateforme" in refused.text

    testapp.post_csrf("/admin/comptes", {"email": user.email, "action": "unban"}, status=303)
    phone.login(user)
    phone.get("/parametres", status=200)


def test_the_administrator_form_refuses_unknown_accounts_and_self_ban(testapp, make_user):
    admin = make_user(is_admin=True)
    testapp.login(admin)
    unknown = testapp.post_csrf("/admin/comptes", {"email": "personne@example.test", "action": "ban"}).follow()
    assert "Aucun compte ouvert pour l'adresse « personne@example.test »" in unknown.text
    myself = testapp.post_csrf("/admin/comptes", {"email": admin.email, "action": "ban"}).follow()
    assert "Vous ne pouvez pas bannir votre propre compte." in myself.text
    odd = testapp.post_csrf("/admin/comptes", {"email": admin.email, "action": "<script>"}).follow()
    assert "Choisissez une action." in odd.text
    testapp.get("/parametres", status=200)
