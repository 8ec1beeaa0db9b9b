"""Verification records. The file of a proof of address is never in the database:
it is encrypted on disk (``storage``) and destroyed after review; the records keep
the decision and the destruction time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vvs_core.clock import utcnow
from vvs_core.models.meta import Base
from vvs_core.models.types import UTCDateTime

CHECK_STATUSES = ("pending", "passed", "failed", "expired")
# What the pages and « Mes données » say of a proof's state ("none": no check of that method yet).
STATUS_LABELS = {"none": "aucune", "pending": "en cours", "passed": "réussie", "failed": "échouée", "expired": "expirée"}
DOCUMENT_TYPES = {"application/pdf": "PDF", "image/jpeg": "image JPEG", "image/png": "image PNG"}


class KycCheck(Base):
    """One attempt of one method for one resident (an upload, a reading, an attestation…)."""
    __tablename__ = "kyc_checks"
    __table_args__ = (UniqueConstraint("method", "reference", name="uq_kyc_checks_method_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The community asked for when the check was made: says which mairie may review it.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Per method: distance and accuracy of a reading, the voucher's role, the partner's name.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # A partner's id of the check: a replayed callback finds it taken.
    reference: Mapped[str | None] = mapped_column(String(100))

    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    document = relationship("KycDocument", back_populates="check", uselist=False)


class KycDocument(Base):
    """The stored file of a proof of address, until it is destroyed."""
    __tablename__ = "kyc_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("kyc_checks.id"), unique=True)
    # Random name of the encrypted file; None once destroyed.
    storage_name: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    destroy_reason: Mapped[str] = mapped_column(String(16), default="")  # decision, retention, erasure

    check = relationship("KycCheck", back_populates="document")
    openings = relationship("KycDocumentOpening", back_populates="document", order_by="KycDocumentOpening.id")


class KycDocumentOpening(Base):
    """Audit trail: who opened which proof file, when."""
    __tablename__ = "kyc_document_openings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("kyc_documents.id"), index=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    as_role: Mapped[str] = mapped_column(String(16))  # "admin" or "mairie"
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    document = relationship("KycDocument", back_populates="openings")
    viewer = relationship("User")


class KycCommuneRule(Base):
    """A mairie's own choice of the proofs its residents need (overrides vvs.kyc.required)."""
    __tablename__ = "kyc_commune_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), unique=True)
    required: Mapped[str] = mapped_column(String(255), default="none")  # "none", "any" or names
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
