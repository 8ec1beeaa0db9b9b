"""Functional tests of the web skeleton: login, logout, headers, errors, health, CSRF."""
import re

import pytest

from vvs_core.testing import DEMO_PASSWORD


def test_health_reports_database_and_broker(testapp):
    res = testapp.get("/health")
    assert res.json["database"] == "ok" and res.json["broker"] == "ok"


def test_pages_are_french_with_emergency_notice_and_security_headers(testapp):
    res = testapp.get("/connexion")
    assert '<html lang="fr"' in res.text
    assert "appelez le 17" in res.text
    csp = res.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"]
    assert "<script>" not in res.text  # no inline script anywhere


def test_not_found_is_a_french_page(testapp):
    res = testapp.get("/nulle-part", status=404)
    assert "Page introuvable" in res.text


def test_login_logout_and_session_rotation(testapp, make_user):
    user = make_user(email="marie@example.test")
    first = testapp.get("/connexion")
    before = testapp.cookies.get("vvs_session")
    testapp.login(user)
    after = testapp.cookies.get("vvs_session")
    assert after and after != before
    home = testapp.get("/")
    assert "Bonjour" in home.text and "Prénom" in home.text
    cookie = [h for h in home.headers.getall("Set-Cookie")] if "Set-Cookie" in home.headers else []
    logout_form = home.forms[0]
    res = logout_form.submit()
    assert res.status_int == 303
    assert testapp.get("/").status_int == 302  # back to login
    del first, cookie


def test_wrong_password_gives_a_french_message_and_no_session(testapp, make_user):
    user = make_user(email="paul@example.test")
    page = testapp.get("/connexion")
    form = page.forms["deform"]
    form["email"] = user.email
    form["password"] = "pas le bon mot de passe"
    res = form.submit("submit", status=400)
    assert "incorrect" in res.text
    assert testapp.get("/").status_int == 302


def test_bad_email_is_refused_next_to_the_field(testapp):
    page = testapp.get("/connexion")
    form = page.forms["deform"]
    form["email"] = "pas-une-adresse"
    form["password"] = "x"
    res = form.submit("submit", status=400)  # a form sent back with its errors answers 400, as every form
    assert "Adresse e-mail invalide." in res.text


def test_login_is_rate_limited_per_account(testapp, make_user):
    user = make_user(email="limite@example.test")
    for _ in range(10):
        page = testapp.get("/connexion")
        form = page.forms["deform"]
        form["email"], form["password"] = user.email, "mauvais mot de passe"
        form.submit("submit", status=400)
    page = testapp.get("/connexion")
    form = page.forms["deform"]
    form["email"], form["password"] = user.email, DEMO_PASSWORD
    res = form.submit("submit", status=429)
    assert "Trop de tentatives" in res.text


def test_post_without_csrf_token_is_refused(testapp, make_user):
    testapp.login(make_user())
    testapp.post("/deconnexion", {}, status=400)


def test_password_change_ends_other_sessions(testapp, make_user, dbsession):
    user = make_user()
    testapp.login(user)
    assert testapp.get("/").status_int == 200
    user.session_epoch += 1
    dbsession.flush()
    assert testapp.get("/").status_int == 302


def test_password_reset_by_single_use_link(testapp, make_user, app_registry):
    from vvs_core.testing import run_tasks

    user = make_user(email="oubli@example.test")
    page = testapp.get("/mot-de-passe-oublie")
    form = page.forms["deform"]
    form["email"] = user.email
    form.submit("submit").follow()
    run_tasks()
    folder = app_registry.settings["vvs.email.folder"]
    import glob
    import email

    mails = [email.message_from_binary_file(open(p, "rb")) for p in glob.glob(folder + "/*.eml")]
    mine = [m for m in mails if m["To"] == user.email]
    assert mine, "the reset e-mail was not written"
    body = mine[-1].get_payload(decode=True).decode() if not mine[-1].is_multipart() else \
        mine[-1].get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://localhost(/mot-de-passe/nouveau/\S+)", body).group(1)
    form = testapp.get(link).forms["deform"]
    form["password"] = "une nouvelle phrase secrète"
    form["password-confirm"] = "une nouvelle phrase secrète"
    assert form.submit("submit").status_int == 303
    testapp.login(user, "une nouvelle phrase secrète")
    # the link works once only, and says so when it opens (not once both passwords are typed)
    testapp.reset()
    for dead in (link, "/mot-de-passe/nouveau/bidon%C2%B2", "/mot-de-passe/nouveau/" + "x" * 300):
        page = testapp.get(dead)
        assert "Ce lien n'est plus valable" in page.text and "deform" not in page.forms
        assert page.click("Recevoir un nouveau lien").request.path == "/mot-de-passe-oublie"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(testapp, make_user, target):
    user = make_user()
    page = testapp.get("/connexion", {"next": target})
    form = page.forms["deform"]
    form["email"], form["password"] = user.email, DEMO_PASSWORD
    res = form.submit("submit")
    assert res.headers["Location"].endswith("/")


def test_english_is_available(testapp):
    res = testapp.get("/connexion", {"_LOCALE_": "en"})
    assert "Sign in" in res.text and "call 17" in res.text
    # remembered by a cookie on the next page
    assert "Skip to content" in testapp.get("/charte").text
