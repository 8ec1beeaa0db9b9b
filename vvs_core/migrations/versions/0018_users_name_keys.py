"""The members' names folded, stored (issue 16): a directory of 5,000 members is in the order
of ``textsearch.fold(last_name), fold(first_name), id``; computed at each read, the two folds
of every member (``translate``/``replace``/``lower`` over Latin-1 and Latin Extended-A) took
most of the page's time. ``last_name_key`` and ``first_name_key`` are generated columns: the
database writes them on every insert and update (a sign-up, a name changed, rows copied in
by the benchmark or a script), from the same expression ``textsearch.folded`` writes
(PostgreSQL: stored, the existing rows filled when the column is added; SQLite: virtual,
through the ``vvs_fold`` function each connection registers). Indexed with the id: the
administration's list of every account is read in that order, one page at a time.

Revision ID: 0018_users_name_keys
Revises: 0017_memberships_decided_index
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.web.textsearch import folded

revision = "0018_users_name_keys"
down_revision = "0017_memberships_decided_index"
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("last_name", "first_name"):
        op.add_column("users", sa.Column(f"{name}_key", sa.String, sa.Computed(folded(sa.column(name)), persisted=not sqlite), nullable=False))
    op.create_index("ix_users_name_keys", "users", ["last_name_key", "first_name_key", "id"])


def downgrade():
    op.drop_index("ix_users_name_keys", table_name="users")
    for name in ("first_name", "last_name"):
        op.drop_column("users", f"{name}_key")
