"""Two centres of interest are spelt as French writes them: « L’œnologie » (was
« L'oenologie ») and « Électronique » (was « Electronique »). The residents' choices
are renamed both ways.

Revision ID: 0012_interest_spelling
Revises: 0011_neutral_keys
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_interest_spelling"
down_revision = "0011_neutral_keys"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("interests", sa.JSON))
RENAMED = {"L'oenologie": "L’œnologie", "Electronique": "Électronique"}


def _rename(names: dict) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.interests)
                        .where(sa.or_(*(sa.cast(users.c.interests, sa.Text).like(f"%{old[-7:]}%") for old in names)))).all()
    for user_id, interests in rows:
        if isinstance(interests, list) and any(i in names for i in interests):
            bind.execute(users.update().where(users.c.id == user_id)
                         .values(interests=[names.get(i, i) for i in interests]))


def upgrade():
    _rename(RENAMED)


def downgrade():
    _rename({new: old for old, new in RENAMED.items()})
