"""Browser, on a 360 px phone (issue 13.2): a moderator suspends an account for 3 days
from its page (…/compte); the person's sign-in says until when, Paris time; once the end
date is past, they sign in again by themselves. (The server runs in its own process,
whose clock the test cannot move: the end date is moved back instead; the same path
with the application clock moved is tests/plugins/vvs_admin/test_suspension_length.py.)"""
import re
from datetime import timedelta

from playwright.sync_api import expect

from journey import add_resident
from phones import open_page
from mail_wait import wait_for_mail

from vvs_core.clock import utcnow
from vvs_core.models import User
from vvs_core.testing import mail_text
from vvs_core.web.timefmt import dates

EMAIL = "zoe.lhermitte.suspension.e2e@serris.demo"
MODERATOR = "moderateur@serris.demo"
PHONE = {"width": 360, "height": 780}


def resident(e2e_db) -> int:
    return add_resident(e2e_db, EMAIL, "Zoé", "L’Hermitte-Nguyễn", "5 allée des Œillets, 77700 Serris")


def test_suspended_three_days_then_back(browser, live_server, login, shot, e2e_db, mails):
    user_id = resident(e2e_db)
    context, pg = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(pg, MODERATOR)
    pg.goto(f"/admin/utilisateurs/{user_id}/compte")
    pg.get_by_label("Action sur le compte").select_option(label="Suspendre le compte")
    days = pg.get_by_label(re.compile("Durée de la suspension"))
    days.fill("999999")
    pg.get_by_label("Motif (gardé dans le journal)").fill("Insultes répétées envers « une voisine » 😞")
    pg.get_by_role("button", name="Appliquer").click()
    expect(pg.get_by_text("La durée de suspension doit être un nombre entier de jours")).to_be_visible()
    with e2e_db() as s:
        assert s.get(User, user_id).status == "active"
    pg.get_by_label(re.compile("Durée de la suspension")).fill("3")
    pg.get_by_role("button", name="Appliquer").click()
    expect(pg.locator(".flash").first).to_contain_text("compte suspendu jusqu'au")
    with e2e_db() as s:
        until = s.get(User, user_id).suspended_until
    assert until is not None and timedelta(days=3) - timedelta(minutes=5) < until - utcnow() <= timedelta(days=3)
    shown = dates.datetime(until)
    expect(pg.locator(".pill").first).to_contain_text(f"jusqu'au {shown}")
    shot(pg, "account-suspended-3-days-360")
    mail = mail_text(wait_for_mail(mails, EMAIL, "Votre compte est suspendu"))
    assert f"jusqu'au {shown}" in mail and "Pour contester cette décision" in mail
    context.close()

    person, victim = open_page(browser, live_server, viewport=PHONE, timeout=20000)
    login(victim, EMAIL)
    assert "/connexion" in victim.url
    expect(victim.get_by_role("alert")).to_contain_text(f"Ce compte a été suspendu jusqu'au {shown}")
    shot(victim, "account-suspended-sign-in-360")

    with e2e_db() as s:  # three days later
        s.get(User, user_id).suspended_until = utcnow() - timedelta(minutes=1)
        s.commit()
    login(victim, EMAIL)
    expect(victim).not_to_have_url(re.compile("/connexion"))
    with e2e_db() as s:
        assert s.get(User, user_id).status == "active"
    person.close()
