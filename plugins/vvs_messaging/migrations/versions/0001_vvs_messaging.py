"""Messaging: conversations, participants, messages, blocks, reports.

Revision ID: 0001_vvs_messaging
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_messaging"
down_revision = None
branch_labels = ("vvs_messaging",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    def users_fk(table, column):
        return sa.ForeignKey("users.id", name=f"fk_{table}_{column}_users")

    op.create_table(
        "msg_conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(150), nullable=False, server_default=""),
        sa.Column("created_by_id", sa.Integer, users_fk("msg_conversations", "created_by_id")),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_message_at", TZ, nullable=False),
    )
    op.create_table(
        "msg_participants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey(
            "msg_conversations.id", ondelete="CASCADE",
            name="fk_msg_participants_conversation_id_msg_conversations"), nullable=False),
        sa.Column("user_id", sa.Integer, users_fk("msg_participants", "user_id"), nullable=False),
        sa.Column("last_read_at", TZ),
        sa.UniqueConstraint("conversation_id", "user_id", name="uq_msg_participants_conversation_user"),
    )
    op.create_index("ix_msg_participants_user_id", "msg_participants", ["user_id"])
    op.create_table(
        "msg_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey(
            "msg_conversations.id", ondelete="CASCADE",
            name="fk_msg_messages_conversation_id_msg_conversations"), nullable=False),
        sa.Column("sender_id", sa.Integer, users_fk("msg_messages", "sender_id")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_msg_messages_conversation_created", "msg_messages", ["conversation_id", "created_at"])
    op.create_index("ix_msg_messages_sender_id", "msg_messages", ["sender_id"])
    op.create_table(
        "msg_blocks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("blocker_id", sa.Integer, users_fk("msg_blocks", "blocker_id"), nullable=False),
        sa.Column("blocked_id", sa.Integer, users_fk("msg_blocks", "blocked_id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("blocker_id", "blocked_id", name="uq_msg_blocks_blocker_blocked"),
    )
    op.create_index("ix_msg_blocks_blocker_id", "msg_blocks", ["blocker_id"])
    op.create_index("ix_msg_blocks_blocked_id", "msg_blocks", ["blocked_id"])
    op.create_table(
        "msg_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey(
            "msg_messages.id", ondelete="CASCADE", name="fk_msg_reports_message_id_msg_messages"), nullable=False),
        sa.Column("reporter_id", sa.Integer, users_fk("msg_reports", "reporter_id")),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
        sa.Column("resolved_by_id", sa.Integer, users_fk("msg_reports", "resolved_by_id")),
    )
    op.create_index("ix_msg_reports_message_id", "msg_reports", ["message_id"])


def downgrade():
    for table in ("msg_reports", "msg_blocks", "msg_messages", "msg_participants", "msg_conversations"):
        op.drop_table(table)
