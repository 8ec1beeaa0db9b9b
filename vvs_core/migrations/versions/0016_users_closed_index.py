"""The closed accounts, indexed apart (issue 16): a community's member count is its active
memberships (read in ``ix_memberships_community_status_requested`` alone) less those of
closed accounts, found here, so that counting 5,000 members reads no account
(``vvs_core.communities.members.member_count_sql``; the mairie's dashboard of a
150-community commune read 19,250 accounts for its counts). A partial index: it holds
the closed accounts only, a handful.

Revision ID: 0016_users_closed_index
Revises: 0015_partial_outbox_indexes
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_users_closed_index"
down_revision = "0015_partial_outbox_indexes"
branch_labels = None
depends_on = None

CLOSED = sa.text("status = 'closed'")


def upgrade():
    op.create_index("ix_users_closed", "users", ["id"], postgresql_where=CLOSED, sqlite_where=CLOSED)


def downgrade():
    op.drop_index("ix_users_closed", table_name="users")
