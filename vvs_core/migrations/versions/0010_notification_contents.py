"""What notifications say moves to ``notification_contents`` (issue 16): one row per
distinct (title, body, html), referenced by ``notifications.content_id``. An alert to
100,000 members wrote its ~1.8 KB of text 200,000 times; now two or three times.

Existing rows are carried over: one content per distinct (title, body, html) among
them (without a digest: later rows do not share them, which only costs a few rows), each
notification pointed at its content, then the three columns dropped.

Revision ID: 0010_notification_contents
Revises: 0009_voice_calls
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_notification_contents"
down_revision = "0009_voice_calls"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_contents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("title", sa.String(255), nullable=False, server_default=""),
        sa.Column("body", sa.Text(), nullable=False, server_default=""),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notification_contents"),
        sa.UniqueConstraint("digest", name="uq_notification_contents_digest"),
    )
    op.add_column("notifications", sa.Column("content_id", sa.Integer(), nullable=True))
    op.execute("INSERT INTO notification_contents (title, body, html, created_at) "
               "SELECT coalesce(title, ''), coalesce(body, ''), html, min(created_at) FROM notifications "
               "GROUP BY coalesce(title, ''), coalesce(body, ''), html")
    if op.get_bind().dialect.name == "postgresql":
        # One hash join over the table, not a lookup per row.
        op.execute("UPDATE notifications AS n SET content_id = c.id FROM notification_contents AS c "
                   "WHERE c.title = coalesce(n.title, '') AND c.body = coalesce(n.body, '') "
                   "AND c.html IS NOT DISTINCT FROM n.html")
    else:
        op.execute("UPDATE notifications SET content_id = (SELECT c.id FROM notification_contents AS c "
                   "WHERE c.title = coalesce(notifications.title, '') AND c.body = coalesce(notifications.body, '') "
                   "AND (c.html = notifications.html OR (c.html IS NULL AND notifications.html IS NULL)))")
    op.create_index("ix_notifications_content_id", "notifications", ["content_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("html")
        batch.drop_column("body")
        batch.drop_column("title")


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("title", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))
    for field in ("title", "body", "html"):
        op.execute(f"UPDATE notifications SET {field} = (SELECT c.{field} FROM notification_contents AS c "
                   "WHERE c.id = notifications.content_id) WHERE content_id IS NOT NULL")
    op.drop_index("ix_notifications_content_id", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("content_id")
    op.drop_table("notification_contents")
