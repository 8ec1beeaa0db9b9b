"""Sessions end on the server (issue 15.1): a copy of the cookie taken before logout, a
password change or the closure of the account opens nothing afterwards (a ban and an
administrator's "end all sessions": tests/plugins/vvs_admin/test_admin_sessions.py)."""
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
