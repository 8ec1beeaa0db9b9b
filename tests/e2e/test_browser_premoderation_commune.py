"""Browser: the mairie of Serris turns pre-moderation on for its commune only (the server
stays in post-moderation). A Serris resident's alert is held and the agent is told by
e-mail; in the next commune (Chessy) an alert still goes out at once. The queue shows
how long the alert has waited. Pages at 360 px."""
from __future__ import annotations

import re
import uuid

import pytest
from mairie_login import demo_agent, enrol_and_sign_in, open_menu, phone_page  # noqa: F401 (demo_agent: a fixture)
from playwright.sync_api import expect

from mail_wait import wait_for_mail

from vvs_core.testing import DEMO_PASSWORD, mail_text

pytestmark = pytest.mark.browser
SERRIS_RESIDENT = "manon.barbier@serris.demo"   # Les Charmettes; in no other browser test
MODERATOR = "moderateur@serris.demo"


@pytest.fixture
def chessy(e2e_db):
    """A second commune with one community and one resident; Serris back to the server's mode afterwards."""
    from shapely.geometry import Point
    from sqlalchemy import delete

    from vvs_alerts.models import ModerationPolicy
    from vvs_core.geo import square_around
    from vvs_core.models import Commune, Community, Membership, User
    from vvs_core.clock import utcnow
    from vvs_core.accounts.security import hash_password

    email = f"chessy-{uuid.uuid4().hex[:6]}@example.test"
    with e2e_db() as s:
        commune = Commune(insee="77085", name="Chessy", postcodes=["77700"], centre=Point(2.766, 48.872))
        s.add(commune)
        s.flush()
        community = Community(commune_id=commune.id, name="Chessy centre", boundary=square_around((2.766, 48.872), 300))
        user = User(email=email, password_hash=hash_password(DEMO_PASSWORD), first_name="Chloé", last_name="Petit",
                    email_confirmed_at=utcnow())
        s.add_all([community, user])
        s.flush()
        s.add(Membership(user_id=user.id, community_id=community.id, status="active"))
        s.commit()
    yield email
    with e2e_db() as s:
        s.execute(delete(ModerationPolicy))
        s.commit()


def _phone(browser, live_server):
    return phone_page(browser, live_server)


def _post(browser, live_server, login, email, text):
    context, page = _phone(browser, live_server)
    try:
        login(page, email)
        page.goto("/alertes/nouvelle")
        page.get_by_label("Ce que vous signalez").select_option(label="Démarchage suspect")
        page.get_by_label("Ce que vous avez vu").fill(text)
        page.get_by_role("button", name="Envoyer l'alerte").click()
        # On the alert's page (wait_for_load_state alone returns at once: the form's page
        # is loaded already while the POST is still being answered).
        expect(page).to_have_url(re.compile(r"/alertes/\d+$"))
        return page.locator("main").inner_text(), page.url
    finally:
        context.close()


def test_pre_moderation_for_serris_only_with_the_mairie_told(browser, live_server, login, shot, demo_agent, e2e_db,
                                                             mails, chessy):
    context, page = _phone(browser, live_server)
    try:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        open_menu(page).get_by_role("link", name="Modération des alertes").click()
        page.get_by_label("pré-modération : chaque alerte attend une validation").check()
        page.get_by_label("les alertes urgentes des référents partent aussitôt").check()
        shot(page, "alerts-moderation-policy-360")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Réglages de modération enregistrés.")).to_be_visible()
    finally:
        context.close()

    serris_text = "Faux agent des eaux au 8 allée des Charmettes, badge « Véolia » douteux."
    held, _url = _post(browser, live_server, login, SERRIS_RESIDENT, serris_text)
    assert "en attente de validation" in held
    chessy_text = "Démarcheur insistant rue de Chessy, il demande à entrer."
    sent, _url = _post(browser, live_server, login, chessy, chessy_text)
    assert "en attente de validation" not in sent

    mail = wait_for_mail(mails, demo_agent, "en attente de validation", "Faux agent des eaux")
    assert "/mairie/77449/signalements/" in mail_text(mail)

    context, page = _phone(browser, live_server)
    try:
        login(page, MODERATOR)
        page.goto("/alertes/moderation")
        item = page.locator(".queue-item", has_text="Faux agent des eaux")
        expect(item.locator(".pill.waiting")).to_contain_text("en attente depuis")
        shot(page, "alerts-moderation-queue-360")
    finally:
        context.close()
