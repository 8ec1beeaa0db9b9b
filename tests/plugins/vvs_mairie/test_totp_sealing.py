"""The agents' TOTP secrets sealed at rest under their own key setting
(vvs.mairie.totp_encryption_key, vvs_core.encryption): rotation, vvs.secret changed,
the migration that re-sealed what the old cipher kept."""
import importlib.util
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from shapely.geometry import Point

from vvs_core.testing import VVSTestApp, build_app  # noqa: F401
from vvs_mairie import twofactor
from vvs_mairie.models import MairieAgent
from vvs_mairie.testing import enrol_agent, mairie  # noqa: F401

KEY = twofactor.KEY_SETTING
MIGRATION = Path(twofactor.__file__).parent / "migrations" / "versions" / "0008_vvs_mairie_totp_fernet.py"


def _app_on_session(db_url, session_factory, **settings):
    wsgi = build_app(db_url, **settings)
    wsgi.registry["dbsession_factory"] = session_factory
    wsgi.registry["vvs.ratelimit_store"] = None
    return VVSTestApp(wsgi)


def _second_factor(client, user, secret):
    client.login(user)
    return client.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()})


def test_no_agent_is_locked_out_when_vvs_secret_changes(db_url, session_factory, dbsession, commune, make_user):
    key = Fernet.generate_key().decode()
    before = {"vvs.secret": "avant-" + "a" * 40, KEY: key}
    user = make_user(first_name="Agnès")
    enrol_agent(dbsession, before, user, commune)
    secret = twofactor.unseal(before, dbsession.scalar(sa.select(MairieAgent.totp_secret)
                                                       .where(MairieAgent.user_id == user.id)))
    from vvs_mairie.agents import mairie_of

    mairie_of(dbsession, commune.id, create=True).subscribed = True
    dbsession.flush()
    client = _app_on_session(db_url, session_factory, **{"vvs.secret": "après-" + "b" * 40, KEY: key})
    assert _second_factor(client, user, secret).status_int == 303


def test_vvs_reseal_secrets(app_registry, dbsession, commune, make_user):
    """A new key put first: what the old key sealed still opens; `vvs reseal` seals it
    with the new key, after which the old key can go."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = dict(app_registry.settings)
    agent, secret = enrol_agent(dbsession, {**settings, KEY: (old,)}, make_user(), commune)
    rotated = {**settings, KEY: (new, old)}
    assert twofactor.unseal(rotated, agent.totp_secret) == secret
    answers = app_registry.vvs_plugins.hook.vvs_reseal_secrets(dbsession=dbsession, settings=rotated)
    assert ("mairie agents' TOTP secrets", 1) in answers
    dbsession.refresh(agent)
    assert twofactor.unseal({**settings, KEY: (new,)}, agent.totp_secret) == secret
    assert twofactor.unseal({**settings, KEY: (old,)}, agent.totp_secret) is None


def test_the_migration_reseals_what_the_old_cipher_kept(tmp_path):
    from alembic import command

    from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
    from vvs_core.models import Commune, User, get_engine
    from vvs_core.testing import base_settings, enabled_module_names

    spec = importlib.util.spec_from_file_location("totp_fernet_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    url = f"sqlite:///{tmp_path / 'ancienne.sqlite'}"
    modules = enabled_module_names(base_settings(url))
    upgrade(url, modules)
    command.downgrade(alembic_config(url, sorted(set(modules) | set(installed_module_names()))),
                      "0007_vvs_mairie_proof_retention")
    app_secret = "ancien-secret-" + "x" * 40
    seed = pyotp.random_base32()
    engine = get_engine(url)
    with sa.orm.Session(engine) as session:
        commune = Commune(insee="77449", name="Serris", postcodes=["77700"], centre=Point(2.7861, 48.8453))
        user = User(email="agnes@example.test", password_hash="x", first_name="Agnès", last_name="Marchand")
        session.add_all([commune, user])
        session.flush()
        session.execute(sa.insert(MairieAgent.__table__).values(
            user_id=user.id, commune_id=commune.id, role="agent", alert_channels=["email"],
            totp_secret=migration.legacy_seal(app_secret, seed)))
        session.commit()

    with pytest.raises(RuntimeError, match="vvs db upgrade INI"):
        upgrade(url, modules)  # without the settings, sealed secrets are not touched
    settings = {"vvs.secret": app_secret, KEY: (Fernet.generate_key().decode(),)}
    upgrade(url, modules, settings=settings)
    with engine.connect() as conn:
        stored = conn.scalar(sa.select(MairieAgent.totp_secret))
    assert not stored.startswith("v1:")
    assert twofactor.unseal(settings, stored) == seed
    engine.dispose()


@pytest.mark.parametrize("key, development, warned", [
    ("", False, True),             # production without the key: the secrets hang on vvs.secret
    (Fernet.generate_key().decode(), False, False),
    ("", True, False),             # make run: the derived key is expected
], ids=["production-without-key", "production-with-key", "development"])  # a random key as an id: xdist workers disagree
def test_start_up_warns_when_production_has_no_totp_key(caplog, key, development, warned):
    import vvs_mairie
    from types import SimpleNamespace

    settings = {"vvs.secret": "s" * 40, KEY: key, "vvs.broker_url": "inline" if development else "redis://x"}
    with caplog.at_level("WARNING", logger="vvs_mairie"):
        vvs_mairie.vvs_startup(SimpleNamespace(settings=settings))
    assert (KEY in caplog.text) is warned
