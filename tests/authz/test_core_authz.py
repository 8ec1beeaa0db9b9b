"""Core routes × roles. Pages anyone may see answer 200 to everyone; the home page
sends the anonymous visitor to the login page."""
import pytest

PUBLIC_GET = ["/connexion", "/mot-de-passe-oublie", "/charte", "/health", "/mot-de-passe/nouveau/jeton-inconnu"]
# route names: login, password_forgot, charter, health, password_reset


@pytest.mark.parametrize("path", PUBLIC_GET)
def test_public_pages_answer_everyone(testapp, path):
    assert testapp.get(path).status_int == 200


def test_home_redirects_anonymous_to_login(testapp):
    res = testapp.get("/", status=302)
    assert "/connexion" in res.headers["Location"]


def test_home_is_for_signed_in_users(testapp, make_user):
    testapp.login(make_user())
    assert testapp.get("/").status_int == 200


def test_logout_is_post_only_with_csrf(testapp, make_user):
    # route: logout
    testapp.login(make_user())
    testapp.get("/deconnexion", status=404)
    testapp.post("/deconnexion", {}, status=400)
    assert testapp.post_csrf("/deconnexion").status_int == 303


def test_the_example_plugin_page_is_public(testapp, make_user):
    # route: hello_plugin (tests/fixtures/vvs_hello, enabled with every installed plugin)
    assert testapp.get("/hello-plugin").status_int == 200
    testapp.login(make_user())
    assert testapp.get("/hello-plugin").status_int == 200
