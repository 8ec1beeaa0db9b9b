"""Proofs of address: upload, review by the platform team (or the mairie where it
validates), decision, destruction, and the audit trail of every opening."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from vvs_core.clock import timestamp, utcnow
from vvs_core.web.french import count
from vvs_core.communities.membership import current_membership
from vvs_core.models import Commune, Community, User
from vvs_core.notify.outbox import notify_user
from vvs_core.communities.modes import effective_validation_mode
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates

from . import storage
from .checks import KycError, after_pass, new_check, record
from .document_checks import DocumentRejected, check_document
from .models import KycCheck, KycDocument, KycDocumentOpening

_AGENT = re.compile(r"^commune:(\d{5}):agent$")
# A file on disk that no live record names is removed after this grace period (it
# may belong to an upload whose transaction has not committed yet).
ORPHAN_GRACE_SECONDS = 3600


# --- Upload -----------------------------------------------------------------------

def read_upload(field, max_bytes: int) -> tuple[bytes, str]:
    """(bytes, file name) of a multipart field; reads at most one byte past the limit."""
    if field is None or not hasattr(field, "file"):
        raise DocumentRejected("Choisissez le fichier de votre justificatif.")
    data = field.file.read(max_bytes + 1)
    return data, getattr(field, "filename", "") or ""


def upload(request, user, data: bytes, filename: str) -> KycCheck:
    """Check and store a proof; nothing is stored when it is refused."""
    settings = request.registry.settings
    membership = current_membership(request.dbsession, user)
    if membership is None:
        raise DocumentRejected("Demandez d'abord à rejoindre votre communauté : le justificatif accompagne la demande.")
    if pending_document(request.dbsession, user.id) is not None:
        raise DocumentRejected("Votre justificatif précédent est en cours de vérification : attendez la réponse.")
    checked = check_document(data, filename, max_bytes=settings["vvs.kyc.max_upload_bytes"],
                             max_pages=settings["vvs.kyc.max_pdf_pages"],
                             max_pixels=settings["vvs.kyc.max_image_pixels"])
    name = storage.write_in_transaction(request, data)
    check = new_check(request, user, "document", "pending")
    request.dbsession.add(KycDocument(check_id=check.id, storage_name=name, content_type=checked.content_type,
                                      size=len(data), pages=checked.pages, uploaded_at=check.created_at))
    request.dbsession.flush()
    record(request, check, "kyc_document_uploaded", actor=user)
    return check


def pending_document(dbsession, user_id: int) -> KycCheck | None:
    return dbsession.scalar(select(KycCheck).where(
        KycCheck.user_id == user_id, KycCheck.method == "document", KycCheck.status == "pending").limit(1))


def latest_document_check(dbsession, user_id: int) -> KycCheck | None:
    return dbsession.scalar(select(KycCheck).where(KycCheck.user_id == user_id, KycCheck.method == "document")
                            .order_by(KycCheck.id.desc()).limit(1))


# --- Who reviews --------------------------------------------------------------------

def agent_communes(request) -> set[str]:
    """INSEE codes of the communes whose agent the signed-in user is."""
    return {m.group(1) for p in request.principals if (m := _AGENT.match(p))}


def reviewer_role(request, check) -> str | None:
    """"admin" (the platform team), "mairie" (an agent of the commune of a community
    validated by its mairie) or None: this user may not see the proof."""
    if request.user is None:
        return None
    if "role:admin" in request.principals:
        return "admin"
    if check.community_id is None:
        return None
    community = request.dbsession.get(Community, check.community_id)
    if community is None or community.commune.insee not in agent_communes(request):
        return None
    return "mairie" if effective_validation_mode(request, community) == "mairie" else None


@dataclass
class QueueItem:
    check: KycCheck
    user: User
    community: Community | None


def review_queue(request) -> list[QueueItem]:
    """Pending proofs this reviewer may decide, oldest first."""
    rows = request.dbsession.execute(
        select(KycCheck, User).join(User, User.id == KycCheck.user_id)
        .where(KycCheck.method == "document", KycCheck.status == "pending").order_by(KycCheck.id)
    ).all()
    out = []
    for check, user in rows:
        if reviewer_role(request, check) is not None:
            community = request.dbsession.get(Community, check.community_id) if check.community_id else None
            out.append(QueueItem(check, user, community))
    return out


def pending_count_for_admin_sql():
    """Documents waiting for the platform team, as a SQL scalar expression."""
    from sqlalchemy import func

    return select(func.count(KycCheck.id)).where(KycCheck.method == "document", KycCheck.status == "pending") \
        .scalar_subquery()



# --- Opening and deciding -----------------------------------------------------------

def open_document(request, check) -> tuple[bytes, str]:
    """The decrypted file and its type; records who opened it. KycError when destroyed."""
    role = reviewer_role(request, check)
    if role is None:
        raise PermissionError("not a reviewer of this proof")
    document = check.document
    if document is None or document.storage_name is None:
        raise KycError("Ce document a été détruit.")
    try:
        data = storage.read(request.registry.settings, document.storage_name)
    except storage.DocumentUnavailable:
        raise KycError("Ce document n'est plus disponible.") from None
    request.dbsession.add(KycDocumentOpening(document_id=document.id, viewer_id=request.user.id,
                                             as_role=role, opened_at=utcnow()))
    request.dbsession.flush()
    return data, document.content_type


def decide_document(request, check, accept: bool, reason: str, reviewer) -> KycCheck:
    """Accept or refuse a proof; the file is destroyed right after, the resident told."""
    reason = (reason or "").strip()
    if check.method != "document" or check.status != "pending":
        raise KycError("Ce justificatif a déjà été traité.")
    if not accept and not reason:
        raise KycError("Indiquez le motif du refus : il sera envoyé au résident.")
    if len(reason) > 1000:
        raise KycError("Le motif est trop long (1000 caractères au plus).")
    check.status = "passed" if accept else "failed"
    check.decided_at = utcnow()
    check.decided_by_id = reviewer.id
    check.reason = reason
    if check.document is not None:
        destroy(request, check.document, "decision")
    record(request, check, "kyc_document_decided", actor=reviewer, accepted=accept)
    user = request.dbsession.get(User, check.user_id)
    accepted_member = after_pass(request, user, reviewer) if accept else False
    _tell_resident(request, user, check, accept, accepted_member)
    return check


def _tell_resident(request, user, check, accept, accepted_member) -> None:
    if accepted_member:
        return  # the core's acceptance e-mail says it all
    if accept:
        title = "Votre justificatif de domicile est accepté"
        body = (f"Bonjour {user.first_name},\n\nVotre justificatif de domicile a été vérifié et accepté ; "
                "il a été détruit.\n")
    else:
        title = "Votre justificatif de domicile n'est pas accepté"
        body = (f"Bonjour {user.first_name},\n\nVotre justificatif de domicile n'a pas été accepté ; "
                f"il a été détruit.\nMotif : {check.reason}\n\nVous pouvez en envoyer un autre : "
                f"{absolute_url(request, 'kyc_document')}\n")
    notify_user(request, user, kind="kyc", title=title, body=body, channels=("email",),
                subject=("kyc_check", check.id), dedupe_key=f"kyc_decided:{check.id}:{user.id}")


# --- Destruction --------------------------------------------------------------------

def destroy(request, document, reason: str) -> None:
    """Record the destruction now; the file goes once that is committed."""
    if document.storage_name is None:
        return
    name = document.storage_name
    document.storage_name = None
    document.destroyed_at = utcnow()
    document.destroy_reason = reason
    request.dbsession.flush()
    storage.remove_after_commit(request, name)


def sweep(request, now=None) -> dict:
    """Destroy the files kept past ``vvs.kyc.retention_days`` (a pending proof then
    expires) and any file on disk that no live record names. Idempotent."""
    settings = request.registry.settings
    now = now or utcnow()
    limit = now - timedelta(days=settings["vvs.kyc.retention_days"])
    expired = request.dbsession.scalars(select(KycDocument).where(
        KycDocument.storage_name.is_not(None), KycDocument.uploaded_at < limit).order_by(KycDocument.id)).all()
    for document in expired:
        check = document.check
        destroy(request, document, "retention")
        if check.status == "pending":
            check.status, check.decided_at = "expired", now
            check.reason = f"Détruit sans décision {count(settings['vvs.kyc.retention_days'], 'jour', 'jours')} après l'envoi."
            record(request, check, "kyc_document_expired")
    live = set(request.dbsession.scalars(select(KycDocument.storage_name).where(KycDocument.storage_name.is_not(None))))
    orphans = [name for name, mtime in storage.stored_names(settings)
               if name not in live and timestamp() - mtime > ORPHAN_GRACE_SECONDS]
    for name in orphans:
        storage.remove_after_commit(request, name)
    return {"expired": len(expired), "orphans": len(orphans)}


# --- Audit and personal data --------------------------------------------------------

def openings(dbsession, limit: int = 200) -> list:
    return dbsession.execute(
        select(KycDocumentOpening, KycDocument, KycCheck)
        .join(KycDocument, KycDocument.id == KycDocumentOpening.document_id)
        .join(KycCheck, KycCheck.id == KycDocument.check_id)
        .order_by(KycDocumentOpening.id.desc()).limit(limit)
    ).all()


def destructions(dbsession, limit: int = 200) -> list[KycDocument]:
    return dbsession.scalars(select(KycDocument).where(KycDocument.destroyed_at.is_not(None))
                             .order_by(KycDocument.destroyed_at.desc()).limit(limit)).all()


def erase_user(request, user) -> None:
    """Delete ``user``'s proof files and verification records (account closing)."""
    dbsession = request.dbsession
    checks = dbsession.scalars(select(KycCheck).where(KycCheck.user_id == user.id)).all()
    for check in checks:
        document = check.document
        if document is not None:
            destroy(request, document, "erasure")
            dbsession.query(KycDocumentOpening).filter(KycDocumentOpening.document_id == document.id).delete()
            dbsession.delete(document)
    dbsession.flush()
    for check in checks:
        dbsession.delete(check)
    dbsession.flush()


def export_user(request, user) -> list[dict]:
    """The resident's checks for « Mes données », in the words of the pages (method, state, file type)."""
    from .methods import labels
    from .models import DOCUMENT_TYPES, STATUS_LABELS

    rows = request.dbsession.scalars(select(KycCheck).where(KycCheck.user_id == user.id).order_by(KycCheck.id)).all()
    methods, out = labels(request), []
    for c in rows:
        item = {"methode": methods.get(c.method, c.method), "etat": STATUS_LABELS.get(c.status, c.status),
                "le": dates.iso(c.created_at),
                "decision_le": dates.iso(c.decided_at) if c.decided_at else None, "motif": c.reason or None}
        if c.method == "geolocation":
            item["distance_m"] = c.details.get("distance_m")
            item["precision_m"] = c.details.get("accuracy_m")
        if c.document is not None:
            d = c.document
            item["document"] = {"type": DOCUMENT_TYPES.get(d.content_type, d.content_type), "taille": d.size,
                                "detruit_le": dates.iso(d.destroyed_at) if d.destroyed_at else None}
        out.append(item)
    return out


def commune_of(dbsession, check) -> Commune | None:
    if check.community_id is None:
        return None
    community = dbsession.get(Community, check.community_id)
    return community.commune if community else None
