"""Browser journey of a proof of address: a pending resident uploads it, an admin
reviews it in the back office and accepts, the account becomes active, the file is
gone from disk."""
import io
import os
import time
from pathlib import Path

from PIL import Image, ImageDraw
from shapely.geometry import Point
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Community, Membership, User
from vvs_core.security import hash_password
from vvs_core.testing import DEMO_PASSWORD
from vvs_kyc.models import KycCheck

EMAIL = "justificatif.e2e@serris.demo"


def pending_resident(e2e_db) -> tuple[int, int]:
    """A resident of "Rue Émile Cloud" (validated by the platform team), pending."""
    with e2e_db() as s:
        community = s.execute(select(Community).where(Community.name == "Rue Émile Cloud")).scalar_one()
        user = User(email=EMAIL, password_hash=hash_password(DEMO_PASSWORD), first_name="Zoé", last_name="Lacroix",
                    pseudonym="Zoé", address_label="12 rue Émile Cloud, 77700 Serris",
                    home=community.boundary.representative_point(), email_confirmed_at=utcnow())
        s.add(user)
        s.flush()
        membership = Membership(user_id=user.id, community_id=community.id, status="pending", requested_at=utcnow())
        s.add(membership)
        s.commit()
        return user.id, membership.id


def bill_png() -> bytes:
    img = Image.new("RGB", (600, 420), "white")
    draw = ImageDraw.Draw(img)
    draw.text((30, 30), "FACTURE D'ÉLECTRICITÉ", fill="black")
    draw.text((30, 80), "Zoé Lacroix — 12 rue Émile Cloud, 77700 Serris", fill="black")
    draw.text((30, 130), "Période : octobre 2026 · Montant : 54,20 €", fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_upload_review_accept_and_the_file_is_gone(page, browser, live_server, login, shot, e2e_db):
    user_id, membership_id = pending_resident(e2e_db)
    login(page, EMAIL)
    page.goto("/activation")
    shot(page, "kyc-activation-methods")
    page.get_by_role("link", name="Commencer").first.click()
    page.wait_for_url("**/kyc/justificatif")
    page.get_by_label("Votre justificatif").set_input_files(
        {"name": "facture.png", "mimeType": "image/png", "buffer": bill_png()})
    shot(page, "kyc-upload-form")
    page.get_by_role("button", name="Envoyer le justificatif").click()
    page.wait_for_url("**/kyc/justificatif")
    assert "en cours de vérification" in page.content()
    shot(page, "kyc-upload-sent")
    with e2e_db() as s:
        check = s.execute(select(KycCheck).where(KycCheck.user_id == user_id)).scalar_one()
        check_id, stored = check.id, check.document.storage_name
    path = Path(os.path.abspath("var/kyc")) / stored  # the server's vvs.kyc.storage_dir, from its working folder
    assert path.exists() and b"Lacroix" not in path.read_bytes()

    context = browser.new_context(locale="fr-FR", viewport={"width": 412, "height": 915}, base_url=live_server)
    admin = context.new_page()
    login(admin, "admin@serris.demo")
    admin.goto("/kyc/revue")
    shot(admin, "kyc-review-queue")
    admin.locator(f'a[href="/kyc/revue/{check_id}"]').click()
    admin.wait_for_selector(".kyc-viewer img")
    admin.wait_for_function("document.querySelector('.kyc-viewer img').naturalWidth > 0")
    shot(admin, "kyc-review-viewer")
    admin.get_by_role("button", name="Accepter").click()
    admin.wait_for_url("**/kyc/revue")
    assert "le fichier est détruit" in admin.content()
    shot(admin, "kyc-review-accepted")
    admin.goto("/kyc/revue/journal")
    assert "Zoé Lacroix" in admin.content()
    shot(admin, "kyc-audit")
    context.close()

    deadline = time.time() + 5  # the file goes right after the commit
    while path.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert not path.exists()
    with e2e_db() as s:
        assert s.get(Membership, membership_id).status == "active"
        check = s.get(KycCheck, check_id)
        assert check.status == "passed" and check.document.destroyed_at is not None
    page.goto("/activation")
    assert "Votre compte est actif" in page.content()
    shot(page, "kyc-account-active")
