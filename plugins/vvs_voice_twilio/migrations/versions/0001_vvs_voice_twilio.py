"""vvs_voice_twilio: the journal of calls placed (key → landline, Twilio call sid).

Revision ID: 0001_vvs_voice_twilio
Revises:
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_voice_twilio"
down_revision = None
branch_labels = ("vvs_voice_twilio",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "twilio_voice_journal",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("to", sa.String(20), nullable=False),
        sa.Column("call_sid", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_twilio_voice_journal_call_sid", "twilio_voice_journal", ["call_sid"])
    op.create_index("ix_twilio_voice_journal_created_at", "twilio_voice_journal", ["created_at"])


def downgrade():
    op.drop_table("twilio_voice_journal")
