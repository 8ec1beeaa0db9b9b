"""Indexes for the hot paths (issue 16), each read by a statement that runs on every
login, page or sweep; tests/perf/test_plans.py checks the plans on PostGIS.

- ``users (lower(email))``: log-in and sign-up look the address up case-insensitively;
  without it PostgreSQL read the whole users table (171–434 ms at a million users).
- ``memberships (community_id, status, requested_at)``: members of a community by status
  (counts, directory, queues in request order).
- ``community_events (community_id, created_at)``: a community's history, newest first,
  and the latest event of each community of a commune (the mairie's dashboard).
- ``communes USING gist (boundary)``: the commune of a home at sign-up (PostGIS).
- ``notifications (status, claimed_at)``: the sweeper's rows claimed too long ago.

Revision ID: 0006_hot_path_indexes
Revises: 0005_commune_contact
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_hot_path_indexes"
down_revision = "0005_commune_contact"
branch_labels = None
depends_on = None


def upgrade():
    # An expression index: PostgreSQL and SQLite (3.9 and later) both have them.
    op.create_index("ix_users_email_lower", "users", [sa.text("lower(email)")])
    op.create_index("ix_memberships_community_status_requested", "memberships",
                    ["community_id", "status", "requested_at"])
    op.create_index("ix_community_events_community_created", "community_events", ["community_id", "created_at"])
    op.create_index("ix_notifications_status_claimed", "notifications", ["status", "claimed_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_communes_boundary ON communes USING gist (boundary)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_communes_boundary")
    op.drop_index("ix_notifications_status_claimed", table_name="notifications")
    op.drop_index("ix_community_events_community_created", table_name="community_events")
    op.drop_index("ix_memberships_community_status_requested", table_name="memberships")
    op.drop_index("ix_users_email_lower", table_name="users")
