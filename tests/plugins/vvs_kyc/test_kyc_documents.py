"""Proof of address: checked from the content, encrypted at rest, reviewed, destroyed."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import csrf, pdf_bytes, png_bytes, sign_in, upload
from vvs_core.clock import utcnow
from vvs_kyc.models import KycCheck, KycDocument, KycDocumentOpening


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def the_check(dbsession, user):
    dbsession.expire_all()
    return dbsession.scalar(select(KycCheck).where(KycCheck.user_id == user.id, KycCheck.method == "document"))


def test_upload_is_encrypted_then_accepted_destroyed_and_the_account_active(testapp, world, dbsession, kyc_dir):
    original = png_bytes()
    sign_in(testapp, world["resident"])
    assert upload(testapp, "facture.png", original).status_int == 303
    [name] = files(kyc_dir)
    on_disk = (kyc_dir / name).read_bytes()
    assert original not in on_disk and b"PNG" not in on_disk and b"IHDR" not in on_disk
    assert (kyc_dir / name).stat().st_mode & 0o777 == 0o600
    check = the_check(dbsession, world["resident"])
    assert check.status == "pending" and check.document.storage_name == name
    assert "en cours de vérification" in testapp.get("/kyc/justificatif").text

    sign_in(testapp, world["admin"])
    assert "Justificatifs à vérifier" in testapp.get("/kyc/revue").text
    page = testapp.get(f"/kyc/revue/{check.id}")
    assert f"/kyc/revue/{check.id}/document" in page.text
    served = testapp.get(f"/kyc/revue/{check.id}/document")
    assert served.body == original and served.content_type == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline")
    download = testapp.get(f"/kyc/revue/{check.id}/document?telecharger=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert dbsession.scalar(select(func.count(KycDocumentOpening.id))) == 2
    assert "Journal des justificatifs" in testapp.get("/kyc/revue/journal").text

    response = testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "accept", "csrf_token": csrf(testapp)})
    assert response.status_int == 303
    assert files(kyc_dir) == []
    check = the_check(dbsession, world["resident"])
    assert check.status == "passed" and check.document.storage_name is None and check.document.destroyed_at
    assert check.document.destroy_reason == "decision"
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "active"
    assert testapp.get(f"/kyc/revue/{check.id}/document", status=410)


def test_refusal_needs_a_reason_then_destroys_the_file(testapp, world, dbsession, kyc_dir):
    sign_in(testapp, world["resident"])
    upload(testapp, "facture.pdf", pdf_bytes())
    check = the_check(dbsession, world["resident"])
    assert check.document.pages == 1
    sign_in(testapp, world["admin"])
    page = testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "refuse", "reason": "",
                                                             "csrf_token": csrf(testapp)}, status=400)
    assert "Indiquez le motif du refus" in page.text and len(files(kyc_dir)) == 1
    testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "refuse", "reason": "Facture de plus de 3 mois",
                                                      "csrf_token": csrf(testapp)}, status=303)
    assert files(kyc_dir) == []
    check = the_check(dbsession, world["resident"])
    assert check.status == "failed" and check.reason == "Facture de plus de 3 mois"
    dbsession.refresh(world["membership"])
    assert world["membership"].status == "pending"


@pytest.mark.parametrize("how", ["backdated", "clock"])
def test_file_is_destroyed_after_the_deadline_without_decision(testapp, world, dbsession, kyc_dir, how):
    from vvs_kyc.tasks import sweep_kyc_documents

    sign_in(testapp, world["resident"])
    upload(testapp, "facture.jpg", _jpeg())
    assert len(files(kyc_dir)) == 1
    sweep_kyc_documents.fn()  # not yet due
    assert len(files(kyc_dir)) == 1
    check = the_check(dbsession, world["resident"])
    if how == "backdated":
        check.document.uploaded_at = utcnow() - timedelta(days=31)
        dbsession.flush()
        sweep_kyc_documents.fn()
    else:
        sweep_kyc_documents.fn((utcnow() + timedelta(days=31)).isoformat())
    assert files(kyc_dir) == []
    check = the_check(dbsession, world["resident"])
    assert check.status == "expired" and check.document.destroyed_at and check.document.destroy_reason == "retention"
    sweep_kyc_documents.fn((utcnow() + timedelta(days=62)).isoformat())  # idempotent


def _jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def _bomb_png(width=30000, height=30000) -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" + b"\x00" * 3 * width, 9)  # one row: a complete file would be 2.7 GB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


BAD_FILES = {
    "png-named-pdf": ("facture.pdf", png_bytes(), "ne correspond pas à son nom"),
    "exe-named-jpg": ("facture.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
                      "ni un PDF, ni une image JPEG ou PNG"),
    "svg-with-script": ("facture.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                        "ni un PDF, ni une image JPEG ou PNG"),
    "html": ("facture.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
             "ni un PDF, ni une image JPEG ou PNG"),
    "oversized": ("facture.pdf", pdf_bytes()[:-6] + b" " * (5 * 1024 * 1024) + b"%%EOF\n", "trop lourd"),
    "bomb": ("facture.png", _bomb_png(), "trop grande"),
    "truncated-png": ("facture.png", png_bytes((400, 300))[:120], "illisible"),
    "pdf-without-eof": ("facture.pdf", pdf_bytes()[:-20], "incomplet ou endommagé"),
    "too-many-pages": ("facture.pdf", pdf_bytes(pages=12), "12 pages"),
    "pdf-with-javascript": ("facture.pdf", pdf_bytes().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
                            "contient du code"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_french_message_and_nothing_stored(testapp, world, dbsession, kyc_dir, case):
    filename, data, message = BAD_FILES[case]
    sign_in(testapp, world["resident"])
    page = upload(testapp, filename, data, status=400)
    assert message in page.text, page.text[-3000:]
    assert files(kyc_dir) == []
    assert dbsession.scalar(select(func.count(KycCheck.id))) == 0
    assert dbsession.scalar(select(func.count(KycDocument.id))) == 0


def test_a_good_pdf_and_a_jpeg_are_accepted(world):
    from vvs_kyc.document_checks import check_document

    limits = dict(max_bytes=5 * 1024 * 1024, max_pages=10, max_pixels=40_000_000)
    assert check_document(pdf_bytes(pages=2), "f.pdf", **limits).pages == 2
    assert check_document(_jpeg(), "photo.JPEG", **limits).kind == "jpeg"
    assert check_document(_jpeg(), "", **limits).content_type == "image/jpeg"  # a camera may send no name


def test_an_uncommitted_upload_leaves_no_file(app_registry, world, kyc_dir):
    from vvs_core.jobs.tasks import task_request
    from vvs_kyc import storage

    with pytest.raises(RuntimeError):
        with task_request(app_registry) as request:
            storage.write_in_transaction(request, b"secret")
            assert len(files(kyc_dir)) == 1
            raise RuntimeError("the transaction fails")
    assert files(kyc_dir) == []


@pytest.mark.parametrize("reason, expected", [
    ("x" * 20000, "Le motif est trop long (1000 caractères au plus)."),
    ("Facture \x00 illisible \x1b[0m", "caractères de contrôle"),
    ("   \n ", "Indiquez le motif du refus"),
])
def test_a_bad_refusal_motive_changes_nothing(testapp, world, dbsession, kyc_dir, reason, expected):
    """Issue 14.3: the motive goes through a colander schema; bad input keeps the file and the check."""
    sign_in(testapp, world["resident"])
    upload(testapp, "facture.pdf", pdf_bytes())
    sign_in(testapp, world["admin"])
    check = the_check(dbsession, world["resident"])
    page = testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "refuse", "reason": reason,
                                                             "csrf_token": csrf(testapp)}, status=400)
    assert expected in page.text and len(files(kyc_dir)) == 1
    assert the_check(dbsession, world["resident"]).status == "pending"


def test_a_refusal_motive_is_kept_intact(testapp, world, dbsession, kyc_dir):
    kept = "« Facture » d’un autre foyer 📄👨‍👩‍👧, pas la vôtre."
    sign_in(testapp, world["resident"])
    upload(testapp, "facture.pdf", pdf_bytes())
    sign_in(testapp, world["admin"])
    check = the_check(dbsession, world["resident"])
    testapp.post(f"/kyc/revue/{check.id}/decision", {"decision": "refuse", "reason": f"  {kept}\n",
                                                      "csrf_token": csrf(testapp)}, status=303)
    assert the_check(dbsession, world["resident"]).reason == kept


def test_a_bad_decision_names_every_wrong_field_at_once(testapp, world, dbsession, kyc_dir):
    """Issue 14: the decision and its motive are one schema; a file sent for the motive is
    an empty motive (it was a 500 when the page gave the motive back)."""
    sign_in(testapp, world["resident"])
    upload(testapp, "facture.pdf", pdf_bytes())
    sign_in(testapp, world["admin"])
    check = the_check(dbsession, world["resident"])
    url = f"/kyc/revue/{check.id}/decision"
    page = testapp.post(url, {"decision": "🤷", "reason": "x" * 20000, "csrf_token": csrf(testapp)}, status=400)
    assert "Choisissez « Accepter » ou « Refuser »." in page.text and "Le motif est trop long" in page.text
    page = testapp.post(url, {"decision": "refuse", "csrf_token": csrf(testapp)},
                        upload_files=[("reason", "motif.txt", b"Illisible")], status=400)
    assert "Indiquez le motif" in page.text
    assert len(files(kyc_dir)) == 1 and the_check(dbsession, world["resident"]).status == "pending"
