"""Migration 0013 (issue 13.2) adds ``users.suspended_until``, the end of an account
suspension, and takes it away on downgrade, on SQLite and on PostGIS."""
from migration_db import column_comes_and_goes, database  # noqa: F401  (database: the fixture)


def test_the_end_of_a_suspension_comes_and_goes(database):  # noqa: F811
    column_comes_and_goes(database, "users", "suspended_until", previous="0012_interest_spelling", kept="status")
