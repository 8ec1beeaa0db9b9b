"""Invitations are a plugin: disabled, no page, link or word of them remains (home,
community page, référent's tools); databases migrated before it became a plugin keep
their invitations."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from vvs_core.testing import VVSTestApp, build_app_on_session
from vvs_invitations.models import Invitation

WITHOUT = "vvs_dev_providers vvs_alerts vvs_gazette vvs_api"


@pytest.fixture
def app_without_invitations(db_url, session_factory):
    return VVSTestApp(build_app_on_session(db_url, session_factory, WITHOUT))


def test_without_the_plugin_nothing_of_it_shows(app_without_invitations, make_user, make_community, dbsession):
    referent = make_user(first_name="Benoît")
    community = make_community(name="Le Clos « Fleuri »", referents=[referent])
    dbsession.add(Invitation(code="c-hidden", community_id=community.id, sender_id=referent.id, channel="link"))
    dbsession.flush()
    testapp = app_without_invitations
    testapp.get("/invitation/c-hidden", status=404)
    testapp.login(referent)
    for path in ("/", f"/communaute/{community.id}", f"/communaute/{community.id}/referent"):
        page = testapp.get(path).text
        assert "Inviter des voisins" not in page and "flyer" not in page.lower() and "/invitations" not in page, path
    for path in ("", "/email", "/flyer.pdf"):
        testapp.get(f"/communaute/{community.id}/invitations{path}", status=404)


OLD_CORE_DDL = """CREATE TABLE invitations (
    id INTEGER NOT NULL PRIMARY KEY, code VARCHAR(64) NOT NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id), sender_id INTEGER NOT NULL REFERENCES users (id),
    channel VARCHAR(8) NOT NULL, address VARCHAR(254) DEFAULT '' NOT NULL, created_at DATETIME NOT NULL,
    accepted_count INTEGER DEFAULT '0' NOT NULL, last_accepted_at DATETIME,
    CONSTRAINT uq_invitations_code UNIQUE (code))"""


def test_a_database_migrated_before_the_plugin_keeps_its_invitations(tmp_path):
    """The core's revision 0002 created ``invitations`` until the table moved to the
    plugin's branch: upgrading such a database keeps every row."""
    from vvs_core.models.migrate import upgrade
    from vvs_core.models import get_engine
    from vvs_core.testing import base_settings, enabled_module_names

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(url, [])  # the core alone, as the old core's revisions left it…
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:  # …with the table its revision 0002 created then
        conn.execute(OLD_CORE_DDL)  # (a row whose sender and community are gone: only the table matters here)
        conn.execute("INSERT INTO invitations (code, community_id, sender_id, channel, address, created_at, "
                     "accepted_count) VALUES ('c-ancien', 1, 1, 'email', 'noël@example.test', '2026-11-30 10:00:00', 2)")
    upgrade(url, enabled_module_names(base_settings(url)))  # every plugin, vvs_invitations' branch included
    with get_engine(url).connect() as conn:
        heads = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
        assert "0002_invitation_opt_outs" in heads  # the branch upgraded to its head
        assert conn.execute(sa.text("SELECT address, accepted_count FROM invitations")).one() == ("noël@example.test", 2)


def test_the_demo_resident_has_invited_neighbours(tmp_path):
    """Loaded twice, the demo holds the resident's three invitations once; their home
    page shows them."""
    import transaction

    from vvs_demo import loader as demo
    from vvs_core.app import load_settings
    from vvs_core.models.migrate import upgrade
    from vvs_core.models import get_engine, get_session_factory
    from vvs_core.testing import base_settings, build_app, enabled_module_names

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    upgrade(url, enabled_module_names(base_settings(url)))
    settings, pm, *_ = load_settings(base_settings(url))
    factory = get_session_factory(get_engine(url))
    for _run in range(2):
        with transaction.manager, factory() as session:
            demo.load_demo(session, settings, pm)
            session.commit()
    with get_engine(url).connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM invitations")) == 3
    testapp = VVSTestApp(build_app(url))
    testapp.login(demo.login_email("resident"))
    home = testapp.get("/")
    assert "<strong>3</strong> envoyées · <strong>1</strong> inscription" in home.click("Inviter des voisins").text
