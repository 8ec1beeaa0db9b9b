"""Migration 0020 adds ``communes.name_key`` (the name as the search for a commune compares
it), fills it for the communes already there, and goes away on downgrade, on SQLite and on
PostGIS; a commune written afterwards, by the ORM or a plain INSERT, gets its key."""
import sqlalchemy as sa
from alembic import command
from shapely.geometry import Point

from vvs_core.models import Commune, get_engine, get_session_factory
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)

BEFORE = [("42218", "Saint-Étienne"), ("93039", "L’Île-Saint-Denis"), ("01001", "L'Abergement-Clémenciat"),
          ("59350", "  Lille  ")]


def test_the_name_key_is_filled_kept_and_taken_away(database):
    modules = enabled_module_names(base_settings(database))
    config = alembic_config(database, sorted(set(modules) | set(installed_module_names())))
    upgrade(database, modules)
    command.downgrade(config, "0019_notification_nonce")
    engine = get_engine(database)
    with engine.begin() as conn:  # communes from before the migration
        conn.execute(sa.text("INSERT INTO communes (insee, name, postcodes, centre, contact_name, contact_email, "
                             "contact_phone, created_at) VALUES (:insee, :name, '[]', :centre, '', '', '', "
                             "CURRENT_TIMESTAMP)"),
                     [{"insee": insee, "name": name, "centre": Point(2, 47).wkb if engine.dialect.name == "sqlite"
                       else Point(2, 47).wkt} for insee, name in BEFORE])
    upgrade(database, modules)

    def keys():
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT insee, name_key FROM communes")).all())

    assert keys() == {"42218": "saint etienne", "93039": "l ile saint denis", "01001": "l abergement clemenciat",
                      "59350": "lille"}
    session = get_session_factory(engine)()
    session.add(Commune(insee="2A004", name="Ajaccio", postcodes=["20000"], centre=Point(8.7, 41.9)))
    session.get(Commune, session.scalar(sa.select(Commune.id).where(Commune.insee == "59350"))).name = "Ste-Œdile"
    session.execute(sa.insert(Commune), [dict(insee="97411", name="Saint-Denis", postcodes=["97400"],
                                              centre=Point(55.4, -20.9))])
    session.commit()
    session.close()
    assert {k: v for k, v in keys().items() if k in ("2A004", "59350", "97411")} == {
        "2A004": "ajaccio", "59350": "sainte oedile", "97411": "saint denis"}
    command.downgrade(config, "0019_notification_nonce")
    assert "name_key" not in {c["name"] for c in sa.inspect(engine).get_columns("communes")}
    engine.dispose()
