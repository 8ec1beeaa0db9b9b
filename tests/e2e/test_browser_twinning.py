"""Browser journey of a twinning: Le Bourg's référente proposes one to Val d'Europe,
its référent accepts; a Val d'Europe resident writes to a Bourg resident, seen by
pseudonym only; an alert of Le Bourg reaches Val d'Europe by e-mail only; the
twinning ends. Every step is in both histories and e-mailed to both référents."""
from __future__ import annotations

from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from vvs_core.models import Community, Membership, Notification, User
from vvs_core.testing import mail_text, wait_for
from menu import logout, open_menu

pytestmark = pytest.mark.browser

CLAIRE = "referent@serris.demo"            # référente du Bourg
KARIM = "referent2@serris.demo"            # référent de Val d'Europe
SOPHIE = "sophie.nguyen@serris.demo"       # Val d'Europe
THIERRY = "thierry.roux@serris.demo"       # Le Bourg
BERNARD = "bernard.girard@serris.demo"     # Le Bourg
ALERT_TEXT = "Jumelage : deux individus essaient les poignées des voitures rue de la Ferme, capuches grises."


def ids(e2e_db):
    with e2e_db() as session:
        bourg = session.scalar(sa.select(Community.id).where(Community.name == "Le Bourg"))
        val = session.scalar(sa.select(Community.id).where(Community.name == "Val d'Europe"))
        val_members = set(session.scalars(sa.select(Membership.user_id).where(
            Membership.community_id == val, Membership.status == "active")))
        thierry = session.scalars(sa.select(User).where(User.email == THIERRY)).one()
        return bourg, val, val_members, (thierry.last_name, thierry.mobile, thierry.address_label)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_propose_accept_message_alert_and_end(page, login, shot, e2e_db, mails):
    bourg, val, val_members, canaries = ids(e2e_db)

    login(page, CLAIRE)
    open_menu(page).get_by_role("link", name="Jumelages").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jumelages")
    expect(page.locator("#twinning-map .leaflet-interactive").first).to_be_visible()
    shot(page, "twinning-candidates")
    page.get_by_role("button", name="Proposer un jumelage à Val d'Europe").click()
    expect(page.get_by_text("Jumelage proposé à « Val d'Europe »")).to_be_visible()
    logout(page)

    login(page, KARIM)
    page.goto(f"/jumelages/communaute/{val}")
    shot(page, "twinning-proposal-received")
    page.get_by_role("button", name="Accepter le jumelage avec Le Bourg").click()
    expect(page.get_by_text("Jumelage avec « Le Bourg » accepté.")).to_be_visible()
    shot(page, "twinning-active")
    page.goto(f"/communaute/{val}")
    expect(page.get_by_text("Jumelage accepté avec « Le Bourg »")).to_be_visible()
    logout(page)
    accepted = wait_for(lambda: {m["To"] for m in mails() if "Jumelage accepté" in subject(m)} >= {CLAIRE, KARIM})
    assert accepted, [(m["To"], subject(m)) for m in mails()][-6:]

    login(page, SOPHIE)
    open_menu(page).get_by_role("link", name="Messagerie").click()
    page.get_by_role("link", name="Nouveau message").click()
    page.get_by_label("Thierry (communauté jumelée)").check()
    page.get_by_role("textbox", name="Message").fill("Bonjour, merci pour l'alerte de la semaine dernière !")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("merci pour l'alerte de la semaine dernière").wait_for()
    html = page.content()
    for canary in canaries:
        assert canary and canary not in html
    shot(page, "twinning-conversation")
    logout(page)

    login(page, BERNARD)
    page.goto("/alertes/nouvelle")
    page.get_by_label("Ce que vous signalez").select_option(label="Démarchage suspect")
    page.get_by_label("Ce que vous avez vu").fill(ALERT_TEXT)
    page.locator("#alert-map").click()
    page.get_by_role("button", name="Envoyer l'alerte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Démarchage suspect")
    alert_id = int(page.url.rstrip("/").split("/")[-1])
    logout(page)
    reached = wait_for(lambda: [m for m in mails() if m["To"] == SOPHIE and "poignées des voitures" in mail_text(m)])
    assert reached
    with e2e_db() as session:
        rows = session.execute(sa.select(Notification.recipient_id, Notification.channel).where(
            Notification.subject_type == "alert", Notification.subject_id == alert_id)).all()
    twinned_rows = {(uid, ch) for uid, ch in rows if uid in val_members}
    assert twinned_rows and {ch for _uid, ch in twinned_rows} == {"email"}
    assert any(ch == "sms" for uid, ch in rows if uid not in val_members)  # Le Bourg keeps its SMS

    login(page, CLAIRE)
    page.goto(f"/jumelages/communaute/{bourg}")
    page.get_by_role("button", name="Mettre fin au jumelage avec Val d'Europe").click()
    expect(page.get_by_role("heading", name="Mettre fin au jumelage avec « Val d'Europe » ?")).to_be_visible()
    shot(page, "twinning-end-question")
    page.get_by_role("button", name="Mettre fin au jumelage", exact=True).click()
    expect(page.get_by_text("Jumelage avec « Val d'Europe » terminé.")).to_be_visible()
    expect(page.get_by_text("Aucun jumelage pour l'instant.")).to_be_visible()
    shot(page, "twinning-ended")
    page.goto(f"/communaute/{bourg}/historique")
    expect(page.get_by_text("Jumelage terminé avec « Val d'Europe »")).to_be_visible()
    ended = wait_for(lambda: {m["To"] for m in mails() if "Jumelage terminé" in subject(m)} >= {CLAIRE, KARIM})
    assert ended
