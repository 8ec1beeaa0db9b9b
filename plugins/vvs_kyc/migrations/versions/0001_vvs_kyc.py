"""vvs_kyc: verification checks, proof files (metadata only), openings audit, commune rules.

Revision ID: 0001_vvs_kyc
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_vvs_kyc"
down_revision = None
branch_labels = ("vvs_kyc",)
depends_on = "0001_core"

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "kyc_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_kyc_checks_user_id_users"), nullable=False),
        sa.Column("community_id", sa.Integer,
                  sa.ForeignKey("communities.id", name="fk_kyc_checks_community_id_communities")),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_kyc_checks_decided_by_id_users")),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("details", sa.JSON),
        sa.Column("reference", sa.String(100)),
        sa.UniqueConstraint("method", "reference", name="uq_kyc_checks_method_reference"),
    )
    op.create_index("ix_kyc_checks_user_id", "kyc_checks", ["user_id"])
    op.create_index("ix_kyc_checks_community_id", "kyc_checks", ["community_id"])
    op.create_index("ix_kyc_checks_status", "kyc_checks", ["status"])
    op.create_table(
        "kyc_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("check_id", sa.Integer, sa.ForeignKey("kyc_checks.id", name="fk_kyc_documents_check_id_kyc_checks"),
                  nullable=False),
        sa.Column("storage_name", sa.String(64)),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("destroyed_at", TZ),
        sa.Column("destroy_reason", sa.String(16), nullable=False, server_default=""),
        sa.UniqueConstraint("check_id", name="uq_kyc_documents_check_id"),
    )
    op.create_index("ix_kyc_documents_uploaded_at", "kyc_documents", ["uploaded_at"])
    op.create_index("ix_kyc_documents_destroyed_at", "kyc_documents", ["destroyed_at"])
    op.create_table(
        "kyc_document_openings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer,
                  sa.ForeignKey("kyc_documents.id", name="fk_kyc_document_openings_document_id_kyc_documents"),
                  nullable=False),
        sa.Column("viewer_id", sa.Integer, sa.ForeignKey("users.id", name="fk_kyc_document_openings_viewer_id_users"),
                  nullable=False),
        sa.Column("as_role", sa.String(16), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
    )
    op.create_index("ix_kyc_document_openings_document_id", "kyc_document_openings", ["document_id"])
    op.create_index("ix_kyc_document_openings_viewer_id", "kyc_document_openings", ["viewer_id"])
    op.create_index("ix_kyc_document_openings_opened_at", "kyc_document_openings", ["opened_at"])
    op.create_table(
        "kyc_commune_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commune_id", sa.Integer, sa.ForeignKey("communes.id", name="fk_kyc_commune_rules_commune_id_communes"),
                  nullable=False),
        sa.Column("required", sa.String(255), nullable=False, server_default="none"),
        sa.Column("updated_by_id", sa.Integer, sa.ForeignKey("users.id", name="fk_kyc_commune_rules_updated_by_id_users")),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("commune_id", name="uq_kyc_commune_rules_commune_id"),
    )


def downgrade():
    op.drop_table("kyc_commune_rules")
    op.drop_table("kyc_document_openings")
    op.drop_table("kyc_documents")
    op.drop_table("kyc_checks")
