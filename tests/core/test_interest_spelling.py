"""The centres of interest are spelt as French writes them (walk-through: « L'oenologie »,
« Electronique »), and migration 0012 renames what residents chose, on SQLite and on
PostGIS, and back on downgrade."""
import sqlalchemy as sa
from alembic import command

from vvs_core.accounts.views import INTERESTS
from vvs_core.models import User, get_engine
from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
from vvs_core.testing import base_settings, enabled_module_names

from migration_db import database  # noqa: F401  (the fixture)

OLD = ["L'oenologie", "Randonnée", "Electronique"]


def test_every_interest_is_spelt_with_its_accents_and_ligatures():
    assert {"L’œnologie", "Électronique"} <= set(INTERESTS)
    assert not [i for i in INTERESTS if "'" in i or "oe" in i.lower() or i[0] in "E" and i[1] in "lcvtn"]


def test_the_interests_residents_chose_are_renamed_and_back(database):
    modules = enabled_module_names(base_settings(database))
    upgrade(database, modules)
    config = alembic_config(database, sorted(set(modules) | set(installed_module_names())))
    command.downgrade(config, "0011_neutral_keys")
    engine = get_engine(database)
    # Written and read without the ORM: the model's later columns are not in the table of 0011.
    with engine.begin() as conn:
        conn.execute(User.__table__.insert(), [{"email": "elise@example.test", "first_name": "Élise", "interests": OLD},
                                               {"email": "paul@example.test", "first_name": "Paul",
                                                "interests": ["Lecture"]}])
    upgrade(database, modules)

    def read():
        with engine.connect() as conn:
            return dict(conn.execute(sa.select(User.__table__.c.email, User.__table__.c.interests)).all())
    assert read() == {"elise@example.test": ["L’œnologie", "Randonnée", "Électronique"],
                      "paul@example.test": ["Lecture"]}
    command.downgrade(config, "0011_neutral_keys")
    assert read()["elise@example.test"] == OLD
    engine.dispose()
