"""The demo commune: real place, sound geography, every role, idempotent."""
from __future__ import annotations

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vvs_demo import loader as demo
from vvs_core import geo
from vvs_core.models.migrate import upgrade
from vvs_core.models import Commune, Community, CommunityEvent, Membership, User, get_engine
from vvs_core.accounts.phones import display_phone, normalise_phone
from vvs_core.accounts.security import password_problem, verify_password
from vvs_core.settings import core_registry
from vvs_core.testing import TEST_SECRET

SETTINGS = core_registry().resolve({"vvs.secret": TEST_SECRET}, environ={})


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A fresh migrated SQLite database holding the demo (loaded once for the module)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    upgrade(url, [])
    engine = get_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        demo.load_demo(session, SETTINGS)
        session.commit()
        yield session
    engine.dispose()


def counts(session) -> dict:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (User, Commune, Community, Membership, CommunityEvent)}


def test_the_commune_is_serris(session):
    commune = session.scalar(select(Commune))
    assert (commune.insee, commune.name, commune.postcodes) == ("77449", "Serris", ["77700"])
    assert commune.centre.distance(geo.as_point((2.7861, 48.8453))) < 0.001


def test_communities_are_valid_well_sized_and_do_not_overlap(session):
    communities = session.scalars(select(Community)).all()
    assert 4 <= len(communities) <= 6
    for community in communities:
        assert geo.validate_polygon(community.boundary) is None
        size = geo.check_boundary_size(community.boundary, SETTINGS["vvs.community.min_area_m2"],
                                       SETTINGS["vvs.community.max_area_m2"])
        assert size.ok, (community.name, size.message)
        assert geo.overlapping_community_ids(session, community.boundary, exclude_id=community.id) == []


def test_each_home_is_in_its_community(session):
    rows = session.execute(select(User, Membership).join(Membership, Membership.user_id == User.id)).all()
    assert len(rows) >= 30
    for user, membership in rows:
        assert geo.find_community_id_at(session, user.home) == membership.community_id, user.email


def test_every_role_is_there(session):
    referents = session.scalars(select(Membership).where(Membership.role == "referent")).all()
    pending = session.scalars(select(Membership).where(Membership.status == "pending")).all()
    assert len(referents) == 2 and len(pending) == 1
    assert session.scalar(select(func.count()).where(User.is_admin)) == 1
    assert session.scalar(select(func.count()).where(User.is_moderator)) == 1
    agent = session.scalar(select(User).where(User.email == "agent@serris.demo"))
    assert agent is not None and not agent.is_admin and not agent.is_moderator


def test_residents_have_french_mobiles_and_addresses(session):
    everyone = session.scalars(select(User).where(User.home.is_not(None))).all()
    residents = [u for u in everyone if u.mobile]
    [landline_only] = [u for u in everyone if not u.mobile]  # alerts call her landline
    assert landline_only.landline.startswith("+3319900") and landline_only.address_label.endswith("77700 Serris")
    assert normalise_phone(display_phone(landline_only.landline), "landline") == (landline_only.landline, None)
    for user in residents:
        # The 06 39 98 block is set aside for fiction: well-formed, but assigned to nobody.
        number = phonenumbers.parse(user.mobile)
        assert phonenumbers.is_possible_number(number) and user.mobile.startswith("+336"), user.mobile
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == user.mobile
        # …and the phone check of every form takes them, as the README says.
        assert normalise_phone(display_phone(user.mobile), "mobile") == (user.mobile, None)
        assert user.address_label.endswith("77700 Serris")
    assert len({user.mobile for user in residents}) == len(residents)


def test_history_records_creations_and_arrivals(session):
    kinds = dict(session.execute(select(CommunityEvent.kind, func.count()).group_by(CommunityEvent.kind)).all())
    active = session.scalar(select(func.count()).where(Membership.status == "active"))
    assert kinds == {"community_created": session.scalar(select(func.count(Community.id))), "member_joined": active}


def test_every_printed_login_works_with_the_demo_password(session):
    assert password_problem(demo.DEMO_PASSWORD) is None
    users = [session.scalar(select(User).where(User.email == email)) for _role, email, _p in demo.demo_logins()]
    assert all(user is not None and user.email_confirmed_at is not None for user in users)
    assert {password for _r, _e, password in demo.demo_logins()} == {demo.DEMO_PASSWORD}
    # One shared hash: verifying it once (argon2 is slow on purpose) covers every account.
    assert len({user.password_hash for user in users}) == 1
    assert verify_password(users[0], demo.DEMO_PASSWORD)


def test_loading_twice_changes_nothing(session):
    before = counts(session)
    assert demo.is_loaded(session, SETTINGS)
    assert demo.load_demo(session, SETTINGS) == demo.demo_logins()
    session.commit()
    assert counts(session) == before


def test_enabled_plugins_add_their_part_on_every_run(session):
    from vvs_core.plugins import build_plugin_manager, hookimpl

    calls = []

    class Recorder:
        @hookimpl
        def vvs_demo_data(self, dbsession, commune):
            calls.append(commune.insee)

    plugins = build_plugin_manager([], installed={})
    plugins.register(Recorder())
    demo.load_demo(session, SETTINGS, plugins)
    demo.load_demo(session, SETTINGS, plugins)
    assert calls == ["77449", "77449"]


def test_other_demo_communes_are_refused():
    from vvs_core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="77449"):
        demo.demo_commune({**SETTINGS, "vvs.demo_commune": "75056"})


def test_settings_too_strict_for_the_demo_are_reported():
    strict = {**SETTINGS, "vvs.community.max_area_m2": 50000.0}
    with pytest.raises(demo.DemoError, match="trop grande"):
        demo.checked_boundaries(demo.SERRIS, strict)


def test_the_demo_loads_on_both_databases(dbsession):
    """Same checks through the shared fixture: SQLite and PostGIS, rolled back afterwards."""
    demo.load_demo(dbsession, SETTINGS)
    for community in dbsession.scalars(select(Community)):
        assert geo.overlapping_community_ids(dbsession, community.boundary, exclude_id=community.id) == []
    rows = dbsession.execute(select(User.home, Membership.community_id).join(Membership, Membership.user_id == User.id))
    for home, community_id in rows:
        assert geo.find_community_id_at(dbsession, home) == community_id
