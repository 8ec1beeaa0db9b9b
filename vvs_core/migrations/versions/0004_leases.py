"""Leases: the jobs table (an alert's fan-out) and the lease of a notification row.
What a killed worker held, or a message a restarted broker lost, comes back.

Revision ID: 0004_leases
Revises: 0003_api_tokens
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_leases"
down_revision = "0003_api_tokens"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ),
        sa.Column("lease_until", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_status_lease", "jobs", ["status", "lease_until"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("lease_until", TZ))


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("lease_until")
    op.drop_table("jobs")
