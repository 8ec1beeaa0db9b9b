"""No 500 on any input (issue 15.3): JSON nested 2,000 deep or too large, broken UTF-8 in a
path, a query string or a form, ids of 30 digits on every route, and every page for every
kind of user, including those with no community. Each answer is a French 4xx."""
from __future__ import annotations

import re

import pytest

from vvs_core.testing import VVSTestApp
from vvs_mairie.testing import agent_login, mairie  # noqa: F401  (fixtures)

DEEP = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000
HUGE_ID = "9" * 30


# --- JSON ------------------------------------------------------------------------------

def test_json_limits_refuse_before_parsing():
    from vvs_core.web.jsonlimits import Invalid, TooDeep, TooLarge, depth, loads_limited

    assert depth('{"a": "[[[[[[", "b": [1, [2]]}') == 3  # brackets inside strings do not count
    assert depth('["\\"[[["]') == 1
    assert loads_limited('{"texte": "été « ok » 🙂"}', 1000) == {"texte": "été « ok » 🙂"}
    for raw, error in ((DEEP, TooDeep), (DEEP_OBJECT, TooDeep), ("x" * 2000, TooLarge), ('{"a": ', Invalid),
                       (b"\xff\xfe[1]", Invalid), ("1" * 5000, Invalid)):
        with pytest.raises(error) as refused:
            loads_limited(raw, 1900 if error is TooLarge else 100_000)
        assert str(refused.value)  # a French reason


@pytest.fixture
def hood(make_user, make_community, dbsession):
    referent, member = make_user(), make_user()
    community = make_community(members=[member], referents=[referent])
    return referent, member, community


def api_write_operations(testapp):
    spec = testapp.get("/api/v1/openapi.json").json
    for path, item in spec["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item:
                yield method.upper(), path


def test_every_json_api_write_refuses_deep_and_large_json_in_french(testapp, hood):
    _referent, member, community = hood
    testapp.login(member)
    token = testapp.csrf()
    checked = 0
    for method, path in api_write_operations(testapp):
        url = re.sub(r"\{community_id\}", str(community.id), path)
        url = re.sub(r"\{[a-z_]+\}", "1", url)
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        deep = testapp.request(url, method=method, body=DEEP.encode(), headers=headers, expect_errors=True)
        assert deep.status_int in (400, 403, 404), (method, path, deep.status_int, deep.text[:300])
        large = testapp.request(url, method=method, body=b'{"text": "' + b"x" * 70_000 + b'"}', headers=headers,
                                expect_errors=True)
        assert large.status_int in (403, 404, 413), (method, path, large.status_int, large.text[:300])
        if deep.status_int == 400:
            assert deep.json["error"]["code"] == "too_deep"
            assert "trop imbriqué" in deep.json["error"]["message"]
            assert large.json["error"]["code"] == "payload_too_large"
            checked += 1
    assert checked >= 4, "too few API writes reached their JSON check"


def test_the_boundary_form_refuses_deep_and_huge_json(testapp, hood):
    referent, _member, community = hood
    testapp.login(referent)
    url = f"/communaute/{community.id}/delimitation"
    deep = testapp.post_csrf(url, {"boundary": DEEP}, status=400)
    assert "La délimitation envoyée est illisible." in deep.text
    huge = testapp.post_csrf(url, {"boundary": "[[2.78, 48.84]," * 3000 + "]"}, status=413)
    assert "20 000 caractères au plus" in huge.text


def test_the_mairie_zone_refuses_deep_and_huge_json():
    from vvs_mairie.commune_alerts import parse_area

    assert parse_area(DEEP) == (None, "La zone dessinée est illisible : recommencez le dessin.")
    assert parse_area('{"type": "Polygon", "coordinates": [' + "[2.7, 48.8]," * 20_000 + "]}")[1] \
        == "La zone dessinée a trop de points : simplifiez le dessin."


# --- Broken UTF-8 -------------------------------------------------------------------------

def raw_get(app, url):
    """A request WebTest cannot make (its cookie jar decodes the URL)."""
    from webob import Request

    return Request.blank(url, environ={"REMOTE_ADDR": "127.0.0.1"}).get_response(app)


@pytest.mark.parametrize("url", ["/gazette/communaute/{id}?q=%FF%FE", "/alertes/communaute/%FF",
                                 "/communaute/%C3%28", "/connexion?next=%E9t%E9", "/%FF%FE/%00"])
def test_broken_utf8_in_a_url_is_a_french_400(app, hood, url):
    _referent, _member, community = hood
    res = raw_get(app, url.format(id=community.id))
    assert res.status_int == 400
    assert "mal encodées (UTF-8 attendu" in res.text
    assert '<html lang="fr"' in res.text


@pytest.mark.parametrize("url", ["/?q=%00", "/gazette/communaute/{id}?q=x%00%F0%9F%98%80", "/communaute/{id}%00",
                                 "/connexion?next=/%00"])
def test_a_nul_character_is_a_french_400_not_a_database_error(app, hood, url):
    """PostgreSQL refuses NUL in text: every search answered 500 to « ?q=%00 » (2026-12-07)."""
    _referent, _member, community = hood
    res = raw_get(app, url.format(id=community.id))
    assert res.status_int == 400 and "sans caractère nul" in res.text


def test_a_nul_character_in_a_form_or_json_changes_nothing(testapp, hood):
    referent, _member, community = hood
    testapp.login(referent)
    page = testapp.get(f"/communaute/{community.id}/modifier")
    form = page.forms["communaute"]
    form["name"] = "Quartier\x00 de l’Église"
    res = form.submit("submit", expect_errors=True)  # it answered 500 on PostgreSQL, saved the NUL on SQLite
    assert res.status_int == 400 and "caractères de contrôle invisibles" in res.text
    from vvs_core.web.jsonlimits import JSONRefused, loads_limited
    with pytest.raises(JSONRefused, match="caractère nul"):
        loads_limited(b'{"text": "Chat perdu\\u0000 rue de l\'\\u00c9glise"}', 10_000)


@pytest.mark.parametrize("url", ["/?q=%FF%FE", "/connexion?next=%E9t%E9"])
def test_broken_utf8_in_a_query_is_answered_in_the_layout_without_a_traceback(app, url, caplog):
    """Walk-through: the 400 was right, but its page logged three tracebacks (the layout
    and the language read the query again) and fell back to the static page."""
    with caplog.at_level("WARNING"):
        res = raw_get(app, url)
    assert res.status_int == 400 and "mal encodées (UTF-8 attendu" in res.text
    assert "Menu" in res.text  # the layout, not the static page
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]


def test_broken_utf8_in_a_form_is_not_a_500(testapp):
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/connexion").text).group(1)
    body = f"csrf_token={token}&__formid__=deform&email=%FF%FE%40example.test&password=x&submit=submit".encode()
    res = testapp.post("/connexion", body, content_type="application/x-www-form-urlencoded", expect_errors=True)
    assert res.status_int < 500
    assert "Adresse e-mail invalide." in res.text or "mal encodées" in res.text


def test_broken_utf8_on_the_api_is_json(app):
    res = raw_get(app, "/api/v1/%FF")
    assert res.status_int == 400
    assert res.json["error"]["code"] == "invalid_encoding"
    query = raw_get(app, "/api/v1/openapi.json?q=%FF")
    assert query.status_int == 400 and query.json["error"]["message"].startswith(("L'adresse", "Paramètres"))


# --- Ids out of range on every route ------------------------------------------------------

def routes(app_registry):
    from pyramid.interfaces import IRoutesMapper

    return [r for r in app_registry.getUtility(IRoutesMapper).get_routes() if not r.name.startswith("__")]


FILL = {"insee": "77449", "token": "jeton-inconnu", "month": "2026-12", "route_name": "home", "PREFIX": ""}


def fill(pattern: str, huge: str | None, community_id: int) -> str:
    from vvs_core.web.errorpages import is_id_placeholder

    def one(match):
        name = match.group(1)
        if name == huge:
            return HUGE_ID
        if name == "community_id":
            return str(community_id)
        if is_id_placeholder(name):
            return "1"
        return FILL.get(name, "x")

    return re.sub(r"\{([a-zA-Z_]+)(?::(?:[^{}]|\{[^}]*\})*)?\}", one, pattern)


def test_thirty_digit_ids_are_404_on_every_route(testapp, app_registry, make_user, hood):
    from vvs_core.web.errorpages import is_id_placeholder

    _referent, _member, community = hood
    testapp.login(make_user(is_admin=True, is_moderator=True))
    token = testapp.csrf()
    tried = []
    for route in routes(app_registry):
        for name in re.findall(r"\{([a-zA-Z_]+)", route.pattern):
            if not is_id_placeholder(name):
                continue
            url = fill(route.pattern, name, community.id)
            tried.append(url)
            get = testapp.get(url, expect_errors=True)
            post = testapp.post(url, {"csrf_token": token}, expect_errors=True)
            assert (get.status_int, post.status_int) == (404, 404), (route.name, url, get.status_int, post.status_int)
    assert any("/parametres/jetons/" in u for u in tried) and any("/kyc/attestations/" in u for u in tried)


# --- Every page for every kind of user ------------------------------------------------------

@pytest.fixture
def people(make_user, make_community, dbsession, app_registry):
    from vvs_core.models import Membership

    referent, member, pending = make_user(), make_user(), make_user()
    community = make_community(members=[member], referents=[referent])
    dbsession.add(Membership(user_id=pending.id, community_id=community.id, status="pending"))
    dbsession.flush()
    return {
        "anonyme": None,
        "sans communauté": make_user(),
        "en attente": pending,
        "membre": member,
        "référent": referent,
        "modérateur": make_user(is_moderator=True),
        "administrateur": make_user(is_admin=True),
    }, community


def test_every_page_answers_every_kind_of_user_without_a_500(app, app_registry, people, mairie, agent_login):
    everyone, community = people
    everyone["agent de mairie (sans second facteur)"] = mairie.agent_user
    pages = []
    for route in routes(app_registry):
        if route.name in ("logout",) or route.pattern.startswith("/api/"):
            continue
        names = re.findall(r"\{([a-zA-Z_]+)", route.pattern)
        if set(names) - {"community_id", "insee"}:
            continue
        pages.append(fill(route.pattern, None, community.id))
    assert len(pages) > 40
    failures = []
    everyone["agent de mairie"] = mairie
    for who, user in everyone.items():
        client = VVSTestApp(app)
        if user is mairie:
            agent_login(client, mairie)
        elif user is not None:
            client.login(user)
        for url in pages:
            res = client.get(url, expect_errors=True)
            if res.status_int >= 500:
                failures.append(f"{who} {url} {res.status_int}")
    assert not failures, "\n".join(failures)
