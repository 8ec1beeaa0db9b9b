"""``communes.name_key``: each commune's name as the search for a commune compares it
(``vvs_core.web.textsearch.place_key``: folded, hyphens and apostrophes as spaces, « st »
spelt out). Folding every name at each search (35,000 communes of France: 280 ms on
SQLite) made the administration's « Nouvelle communauté » slow; the key is written with the
name (``Commune``'s validator and column default), and filled here for the communes there.

Revision ID: 0020_communes_name_key
Revises: 0019_notification_nonce
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from vvs_core.web.textsearch import place_key

revision = "0020_communes_name_key"
down_revision = "0019_notification_nonce"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("communes", sa.Column("name_key", sa.String(255), nullable=False, server_default=""))
    bind = op.get_bind()
    communes = sa.table("communes", sa.column("id", sa.Integer), sa.column("name", sa.String),
                        sa.column("name_key", sa.String))
    rows = [{"row": row.id, "key": place_key(row.name)} for row in bind.execute(sa.select(communes.c.id, communes.c.name))]
    if rows:
        bind.execute(communes.update().where(communes.c.id == sa.bindparam("row")).values(name_key=sa.bindparam("key")),
                     rows)


def downgrade():
    op.drop_column("communes", "name_key")
