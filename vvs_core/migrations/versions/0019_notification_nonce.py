"""Each notification row draws a random ``nonce`` when it is written; the key handed to
providers is its dedupe key plus that nonce (``vvs_core.notify.outbox.provider_key``).
A dedupe key such as ``alert:1:0:sms`` is unique in one database only: another
installation on the same SMS account, or this one restored from a backup (ids reused),
writes it again, and a crash recovery asking the provider "did you already send
alert:1:0:sms?" would find the old message and record the new alert as sent.

Existing rows keep no nonce (NULL) and so keep their plain key: a row in flight across
the upgrade is still found by the provider under the key it was sent with. Adding a
nullable column without a default rewrites no row.

Revision ID: 0019_notification_nonce
Revises: 0018_users_name_keys
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_notification_nonce"
down_revision = "0018_users_name_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notifications", sa.Column("nonce", sa.String(12), nullable=True))


def downgrade():
    op.drop_column("notifications", "nonce")
