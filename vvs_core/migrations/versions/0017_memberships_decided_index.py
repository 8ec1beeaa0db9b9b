"""Memberships by community, status and decision date (issue 16): the new members of a
commune's communities over the last weeks (the mairie's dashboard chart) and in a month
(its monthly report) are read community by community in this index; without it
PostgreSQL read the whole memberships table (100,000 rows at a tenth of the national
size, 20–35 ms; a million at full size).

Revision ID: 0017_memberships_decided_index
Revises: 0016_users_closed_index
Create Date: 2026-12-06
"""
from alembic import op

revision = "0017_memberships_decided_index"
down_revision = "0016_users_closed_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_memberships_community_status_decided", "memberships", ["community_id", "status", "decided_at"])


def downgrade():
    op.drop_index("ix_memberships_community_status_decided", table_name="memberships")
