"""The JSON API is a plugin: the core asks it who a Bearer request is
(``vvs_authenticate``), lists its token page in « Mes paramètres »
(``vvs_settings_sections``), and the other plugins publish their endpoints through the
hook it declares (``vvs_api_endpoints``), never by importing it. Disabled, nothing
answers under /api/v1 and no token page shows. Databases migrated before it became a
plugin keep their tokens."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from vvs_api.tokens import issue_api_token
from vvs_core.testing import VVSTestApp, build_app, build_app_on_session

ROOT = Path(__file__).resolve().parents[3]
NO_API = "vvs_dev_providers vvs_alerts vvs_gazette vvs_messaging"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_vvs_authenticate(testapp, dbsession, make_user, app_request):
    user = make_user(first_name="Hélène", last_name="Lefèvre")
    _row, token = issue_api_token(dbsession, user, "Appli « Mon quartier » 📱")
    assert testapp.get("/api/v1/me", headers=bearer(token)).json["first_name"] == "Hélène"
    # The core's security policy asked the plugins; vvs_api answered for the token.
    hook = app_request.registry.vvs_plugins.hook
    app_request.environ["PATH_INFO"] = "/api/v1/me"
    app_request.headers["Authorization"] = f"Bearer {token}"
    assert hook.vvs_authenticate(request=app_request).user.id == user.id
    app_request.headers["Authorization"] = "Bearer vvs_faux"
    assert hook.vvs_authenticate(request=app_request).user is None  # invalid: anonymous, no session read
    del app_request.headers["Authorization"]
    assert hook.vvs_authenticate(request=app_request) is None  # no credential: the session decides
    # A token opens the API only, never the pages (their forms rely on the session's CSRF token).
    testapp.get("/parametres", headers=bearer(token), status=302)
    res = testapp.get("/api/v1/me", headers=bearer("vvs_révoqué"), status=401)
    assert res.json["error"]["code"] == "invalid_token"


def test_vvs_settings_sections(testapp, make_user, app_request):
    sections = [s for answer in app_request.registry.vvs_plugins.hook.vvs_settings_sections(request=app_request)
                for s in answer]
    assert ("settings_api_tokens", "Jetons d'accès") in [(s.route_name, s.title) for s in sections]
    testapp.login(make_user())
    page = testapp.get("/parametres").text
    titles = re.findall(r'<a class="card tile"[^>]*href="/parametres/([^"]+)"', page)
    assert "jetons" in titles
    # In the order the sections give: after the devices, before the newsletter.
    assert titles.index("appareils") < titles.index("jetons") < titles.index("newsletter")
    assert 'href="/parametres/jetons"' in testapp.get("/parametres/mot-de-passe").text  # the menu of every page


def test_vvs_api_endpoints(testapp):
    document = testapp.get("/api/v1/openapi.json").json
    # Endpoints of alerts, gazette and messaging came through the hook.
    assert {"/api/v1/alerts", "/api/v1/conversations", "/api/v1/communities/{community_id}/gazette"} <= set(document["paths"])
    # No module outside vvs_api imports it (plugins never import each other).
    offenders = []
    for path in list((ROOT / "plugins").rglob("*.py")) + list((ROOT / "vvs_core").rglob("*.py")):
        if "vvs_api" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(from|import)\s+vvs_api\b", text, re.M):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.fixture
def app_without_api(db_url, session_factory):
    return VVSTestApp(build_app_on_session(db_url, session_factory, NO_API))


def test_without_vvs_api_nothing_answers_under_api_v1(app_without_api, dbsession, make_user):
    user = make_user()
    _row, token = issue_api_token(dbsession, user, "script")
    testapp = app_without_api
    for path in ("/api/v1/openapi.json", "/api/v1/me", "/api/v1/alerts", "/api/v1/conversations"):
        res = testapp.get(path, headers=bearer(token), status=404)
        assert "html" in res.content_type  # the site's page, no API answer
    testapp.login(user)
    testapp.get("/api/v1/me", status=404)  # a session does not open it either
    testapp.get("/parametres/jetons", status=404)
    for path in ("/parametres", "/parametres/compte"):
        page = testapp.get(path).text
        assert "Jetons d'accès" not in page and "/parametres/jetons" not in page


OLD_CORE_TOKENS_DDL = """CREATE TABLE api_tokens (
    id INTEGER NOT NULL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),
    name VARCHAR(80) NOT NULL, token_hash VARCHAR(64) NOT NULL, prefix VARCHAR(12) DEFAULT '' NOT NULL,
    created_at DATETIME NOT NULL, last_used_at DATETIME, revoked_at DATETIME,
    CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash))"""


def test_a_database_migrated_before_the_plugin_keeps_its_tokens(tmp_path):
    """The core's revision 0003 created ``api_tokens`` until the table moved to the
    plugin's branch: upgrading such a database keeps every token working."""
    from vvs_core.models.migrate import upgrade
    from vvs_core.models import User, get_engine
    from vvs_core.testing import base_settings, enabled_module_names

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, [])  # the core alone, as the old core's revisions left it…
    engine = get_engine(url)
    with engine.begin() as conn:  # …with the table its revision 0003 created then
        conn.execute(sa.text(OLD_CORE_TOKENS_DDL))
        conn.execute(sa.text("CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id)"))
    from sqlalchemy.orm import Session

    from vvs_core.testing import DEMO_PASSWORD
    from vvs_core.accounts.security import hash_password

    with Session(engine) as session:
        user = User(email="ancien@example.test", password_hash=hash_password(DEMO_PASSWORD), first_name="Noël",
                    last_name="Bénard", pseudonym="noel", mobile="+33612340000")
        session.add(user)
        session.flush()
        _row, token = issue_api_token(session, user, "Script d’avant")
        session.commit()
    engine.dispose()
    upgrade(url, enabled_module_names(base_settings(url)))  # every plugin, vvs_api's branch included
    with get_engine(url).connect() as conn:
        heads = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
        assert "0001_vvs_api" in heads
        assert conn.scalar(sa.text("SELECT count(*) FROM api_tokens")) == 1
    testapp = VVSTestApp(build_app(url))
    assert testapp.get("/api/v1/me", headers=bearer(token)).json["first_name"] == "Noël"
