"""Migration 0014 (issue 13.1) adds ``communes.time_zone`` (NULL: the instance's zone)
and takes it away on downgrade, on SQLite and on PostGIS."""
from migration_db import column_comes_and_goes, database  # noqa: F401  (database: the fixture)


def test_a_communes_time_zone_comes_and_goes(database):  # noqa: F811
    column_comes_and_goes(database, "communes", "time_zone", previous="0013_suspended_until", kept="contact_phone")
