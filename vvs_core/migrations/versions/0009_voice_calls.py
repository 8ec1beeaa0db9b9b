"""Voice calls to landlines (issue 17.2): the severity a notification was written with
(calls at night wait unless urgent) and what the recipient did (answered by a machine,
listened to the end, confirmed with "1").

Revision ID: 0009_voice_calls
Revises: 0008_community_archived
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_voice_calls"
down_revision = "0008_community_archived"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notifications", sa.Column("severity", sa.String(12), nullable=False, server_default=""))
    op.add_column("notifications", sa.Column("reaction", sa.String(12), nullable=False, server_default=""))
    op.add_column("notifications", sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("reacted_at")
        batch.drop_column("reaction")
        batch.drop_column("severity")
