"""A 500 is always the French page (issue 12.4): from the layout when it can be drawn,
a static French page when the database, the session or the template is broken, and
never the server's English "Internal Server Error". SQLite lock conflicts are run again
by pyramid_retry instead of reaching the visitor."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from vvs_core.testing import base_settings

FRENCH_500 = "Une erreur est survenue de notre côté"
calls = {"flaky": 0, "locked": 0, "api": 0}


def boom(request):
    raise RuntimeError("boum : une erreur imprévue")


def locked_error():
    return OperationalError("UPDATE notifications …", {}, sqlite3.OperationalError("database is locked"))


def flaky(request):
    calls["flaky"] += 1
    if calls["flaky"] == 1:
        raise locked_error()
    return {"ok": calls["flaky"]}


def flaky_api(request):
    calls["api"] += 1
    if calls["api"] == 1:
        raise locked_error()
    return {"ok": calls["api"]}


def always_locked(request):
    calls["locked"] += 1
    raise locked_error()


def broken_callback(request):
    def fail(request, response):
        raise RuntimeError("a response callback that fails")

    request.add_response_callback(fail)
    return {"ok": True}


@pytest.fixture(scope="module")
def error_app(tmp_path_factory):
    from vvs_core import make_config
    from vvs_core.testing import migrated_url

    url = migrated_url("sqlite", tmp_path_factory.mktemp("errors-db"))
    config = make_config(base_settings(url))
    for name, view, renderer in (("boom", boom, None), ("flaky", flaky, "json"),
                                 ("always_locked", always_locked, "json"), ("broken_callback", broken_callback, "json")):
        config.add_route(name, f"/essai/{name}")
        config.add_view(view, route_name=name, renderer=renderer, permission="public", require_csrf=False)
    config.add_route("flaky_api", "/api/v1/essai")
    config.add_view(flaky_api, route_name="flaky_api", renderer="json", permission="public", require_csrf=False)
    return config.make_wsgi_app()


@pytest.fixture
def client(error_app):
    error_app.registry["vvs.ratelimit_store"] = None
    return webtest.TestApp(error_app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def assert_french_500(res):
    assert res.status_int == 500
    assert res.content_type == "text/html"
    assert '<html lang="fr"' in res.text
    assert FRENCH_500 in res.text
    assert "appelez le 17" in res.text
    assert "Internal Server Error" not in res.text


def test_an_unexpected_error_is_the_french_page_in_the_layout(client):
    res = client.get("/essai/boom", status=500)
    assert_french_500(res)
    assert 'class="site-header"' in res.text  # the real layout, not the fallback


def test_a_broken_database_still_gets_the_french_page(client, error_app, tmp_path):
    registry = error_app.registry
    saved = registry["dbsession_factory"]
    (tmp_path / "not-a-database.sqlite").write_bytes(b"ceci n'est pas une base SQLite " * 100)
    registry["dbsession_factory"] = sessionmaker(bind=sa.create_engine(f"sqlite:///{tmp_path}/not-a-database.sqlite"))
    try:
        client.set_cookie("vvs_session", "x" * 40)
        assert_french_500(client.get("/inscription", status=500))
    finally:
        registry["dbsession_factory"] = saved


def test_a_failing_error_template_falls_back_to_the_static_french_page(client, monkeypatch):
    from vvs_core.web import errorpages

    def broken_template(*args, **kwargs):
        raise RuntimeError("the template itself fails")

    monkeypatch.setattr(errorpages, "render_to_response", broken_template)
    assert_french_500(client.get("/essai/boom", status=500))
    not_found = client.get("/nulle-part-%C3%A9", status=404)
    assert "Page introuvable" in not_found.text and '<html lang="fr"' in not_found.text


def test_an_error_after_every_view_is_still_french(client):
    """A response callback runs outside the views: the execution policy answers."""
    assert_french_500(client.get("/essai/broken_callback", status=500))


def test_a_lock_conflict_is_run_again(client):
    calls["flaky"] = 0
    assert client.get("/essai/flaky").json == {"ok": 2}


def test_a_lock_conflict_that_lasts_ends_in_the_french_page(client):
    calls["locked"] = 0
    assert_french_500(client.get("/essai/always_locked", status=500))
    assert calls["locked"] == 3  # retry.attempts


def test_a_lock_conflict_on_the_api_is_run_again(client):
    calls["api"] = 0
    assert client.get("/api/v1/essai").json == {"ok": 2}
