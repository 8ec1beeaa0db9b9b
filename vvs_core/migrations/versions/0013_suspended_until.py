"""An account suspension has an end date (issue 13.2): ``users.suspended_until``. Going
down drops it; the suspensions in force then last until someone reopens the account.

Revision ID: 0013_suspended_until
Revises: 0012_interest_spelling
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_suspended_until"
down_revision = "0012_interest_spelling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "suspended_until")
