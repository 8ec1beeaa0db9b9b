"""ACTIVATION, as the seeds tell it (« Comment valider mon compte ? »), on 360 px phones:

- validation by the référent: a new resident of Le Bourg waits; the référente gets an
  e-mail whose link opens the requests (after signing in), she accepts; the resident's
  e-mail links to the site, where « Votre compte est actif » and the neighbours' home
  page tells of the arrival at the hour it happened, in Paris;
- validation by the platform team, with a proof of address: uploaded, reviewed in the
  back office, accepted, the file gone from disk;
- validation by the mairie (without the mairie plugin, the platform team decides).
"""
import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from shapely.geometry import Point
from sqlalchemy import select

from journey import ActionTime, Hours, home_at, links, mail_to, sign_in_here, sign_up, submit
from vvs_core.clock import utcnow
from vvs_core.models import Community, Membership, User
from vvs_core.accounts.security import hash_password
from vvs_core.testing import DEMO_PASSWORD, wait_for
from vvs_kyc.models import KycCheck

pytestmark = pytest.mark.browser
CLAIRE = "referent@serris.demo"       # référente du Bourg


def test_validation_by_the_referent_from_her_email(phone, person, shot, live_server, mails):
    hours = Hours()
    email = "ines.brule@example.test"
    sign_up(phone, email, home_at(60, -40), "Inès", "Brûlé", "Inès de la Ferme", address="5 rue de la Ferme")
    phone.get_by_role("link", name="Passez à l'étape suivante").click()
    expect(phone.get_by_text("Votre demande d'adhésion a été envoyée au référent")).to_be_visible()
    shot(phone, "journey-activation-1-attente-referent")

    request_mail = mail_to(mails, CLAIRE, "Inès Brûlé demande à rejoindre la communauté « Le Bourg »")
    link = next(u for u in links(request_mail) if "/demandes" in u)
    assert link.startswith(live_server), link
    claire = person()
    claire.goto(link)  # not signed in on this phone: the link leads through the sign-in page
    sign_in_here(claire, CLAIRE)
    assert claire.url == link, claire.url
    entry = claire.get_by_role("listitem").filter(has=claire.get_by_role("heading", name="Inès Brûlé"))
    expect(entry).to_contain_text("5 rue de la Ferme")
    shot(claire, "journey-activation-2-demandes")
    with ActionTime() as accepted:
        submit(claire, "Accepter", entry)
        expect(claire.get_by_text("La demande d'Inès Brûlé est acceptée")).to_be_visible()

    welcome = mail_to(mails, email, "votre compte est actif")
    home_link = next(u for u in links(welcome) if u.startswith(live_server))
    phone.goto(home_link)
    phone.goto("/activation")
    expect(phone.get_by_text("Votre compte est actif ! Félicitations et bienvenue")).to_be_visible()
    shot(phone, "journey-activation-3-compte-actif")
    phone.get_by_role("link", name="Accéder à mon espace").click()
    expect(phone.get_by_role("heading", level=1)).to_be_visible()

    # The community's history tells of the arrival, at the hour Claire accepted, in Paris.
    claire.goto("/")
    claire.get_by_role("link", name="Le Bourg", exact=True).first.click()
    with claire.expect_navigation():  # the history, not the community page's « Mouvements » still there
        claire.get_by_role("link", name="Historique", exact=True).click()
    arrival = claire.get_by_role("row").filter(has_text="Arrivée d'un voisin").filter(has_text="Inès").first
    hours.check(arrival.inner_text(), accepted, "historique : arrivée d'un voisin")
    shot(claire, "journey-activation-4-historique")
    hours.verify()

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


def test_validation_by_the_platform_with_a_proof_of_address(phone, person, login, shot, e2e_db):
    page = phone
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

    admin = person("admin@serris.demo")
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

    assert wait_for(lambda: not path.exists()), path  # the file goes right after the commit
    with e2e_db() as s:
        assert s.get(Membership, membership_id).status == "active"
        check = s.get(KycCheck, check_id)
        assert check.status == "passed" and check.document.destroyed_at is not None
    page.goto("/activation")
    assert "Votre compte est actif" in page.content()
    shot(page, "kyc-account-active")


def test_validation_by_the_mairie(phone, person, login, shot, e2e_db):
    # Val d'Europe switches to validation by the mairie; its pending request waits for
    # an agent, and the platform team sees it in its queue and may decide.
    with e2e_db() as s:
        community = s.scalar(select(Community).where(Community.name == "Val d'Europe"))
        community.validation_mode = "mairie"
        demo = s.scalar(select(User).where(User.email == "resident@serris.demo"))
        user = User(email="mairie-cas@example.test", password_hash=demo.password_hash, first_name="Mireille",
                    last_name="Œuvray", pseudonym="Mireille", mobile="+33639987001",
                    home=Point(home_at(-200, 800)), address_label="3 cours du Danube, 77700 Serris")
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, community_id=community.id, status="pending"))
        s.commit()
    login(phone, "mairie-cas@example.test")
    phone.goto("/activation")
    expect(phone.get_by_text("Votre demande d'adhésion est envoyée directement à votre mairie")).to_be_visible()
    shot(phone, "journey-activation-mairie")
    karim = person("referent2@serris.demo")  # référent of Val d'Europe: no longer decides
    assert karim.goto(f"/communaute/{community.id}/demandes").status == 403
    admin = person("admin@serris.demo")
    admin.goto("/admin/demandes")
    entry = admin.locator(".queue-entry", has_text="Mireille Œuvray")
    expect(entry).to_contain_text("Mairie")
    submit(admin, "Accepter", entry)
    with e2e_db() as s:
        user = s.scalar(select(User).where(User.email == "mairie-cas@example.test"))
        assert s.scalar(select(Membership.status).where(Membership.user_id == user.id)) == "active"
