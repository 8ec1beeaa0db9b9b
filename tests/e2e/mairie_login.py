"""Signing in as the demo mairie agent, second factor included (TOTP enrolment the
first time, a fresh code afterwards): shared by the browser tests that need an agent."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from menu import open_menu  # noqa: F401 (re-exported for the tests)
from phones import open_page


@pytest.fixture(scope="module")
def demo_agent(e2e_db):
    from vvs_mairie import load_demo_mairie

    session = e2e_db()
    load_demo_mairie(session)
    session.commit()
    session.close()
    return "agent@serris.demo"


def stored_secret(e2e_db, email):
    from sqlalchemy import select

    from vvs_core.models import User
    from vvs_core.testing import app_settings
    from vvs_mairie.models import MairieAgent
    from vvs_mairie.twofactor import unseal

    session = e2e_db()
    agent = session.scalar(select(MairieAgent).join(User, User.id == MairieAgent.user_id).where(User.email == email))
    settings = app_settings(str(session.get_bind().url))  # the keys serve.py's server seals with
    session.close()
    return unseal(settings, agent.totp_secret)


def forget_last_code(e2e_db, email):
    """As if the codes used by an earlier test were long past: each code is accepted once,
    and a test cannot wait for the phone's next one."""
    from sqlalchemy import select, update

    from vvs_core.models import User
    from vvs_mairie.models import MairieAgent

    with e2e_db() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        session.execute(update(MairieAgent).where(MairieAgent.user_id == user_id).values(totp_last_step=None))
        session.commit()


def enrol_and_sign_in(page, login, shot, email, e2e_db=None):
    login(page, email)
    page.goto("/mairie")
    page.wait_for_url(re.compile(r"/mairie/2fa"))
    if "/activer" in page.url:
        shot(page, "mairie-enrol")
        secret = page.locator("#totp-secret").inner_text().strip()
        page.get_by_label("Code à 6 chiffres affiché par l'application").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Activer").click()
        expect(page.locator(".recovery-codes li")).to_have_count(10)  # the answer, not the form still there
        shot(page, "mairie-recovery-codes")
        page.get_by_role("link", name=re.compile("J'ai noté mes codes")).click()
    else:
        forget_last_code(e2e_db, email)
        page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(stored_secret(e2e_db, email)).now())
        page.get_by_role("button", name="Valider").click()
    page.wait_for_url(re.compile(r"/mairie/77449$"))
    return page


def phone_page(browser, live_server, errors: list | None = None):
    """(context, page) of a 360 px French phone on ``live_server``; the page's script
    errors go to ``errors``."""
    return open_page(browser, live_server, errors)


def write_alert(page, category: str, title: str, message: str):
    """From the agent's dashboard: the alert form opened, its category, title and message filled."""
    page.get_by_role("link", name="Alerter les habitants").click()
    page.get_by_label("Catégorie").select_option(category)
    page.get_by_label("Titre (repris dans le SMS)").fill(title)
    page.get_by_label("Message").fill(message)
