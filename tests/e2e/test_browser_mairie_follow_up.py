"""Browser, at 360 px: the mairie's dashboard shows a marker for every located alert
after a reload; an agent sets a resident's alert to « patrouille envoyée » with a reply;
the author receives it by e-mail and reads it under the alert."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import browsing
from playwright.sync_api import expect

from mail_wait import wait_for_mail

from vvs_core.testing import mail_text

pytestmark = pytest.mark.browser
AUTHOR = "ines.carpentier@serris.demo"   # Val d'Europe; in no other browser test
REPLY = "Une patrouille de la police municipale passe rue du Parc d’ici 20 minutes. Merci « Inès » !"


def _located_alerts(e2e_db, n=2):
    from sqlalchemy import select
    from shapely.geometry import Point

    from vvs_alerts.models import Alert
    from vvs_core.clock import utcnow
    from vvs_core.models import Membership, User

    with e2e_db() as s:
        author = s.scalar(select(User).where(User.email == AUTHOR))
        membership = s.scalar(select(Membership).where(Membership.user_id == author.id))
        community = membership.community
        centre = community.boundary.centroid
        ids = []
        for i in range(n):
            now = utcnow() - timedelta(minutes=5 + i)
            alert = Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                          category="reperage", text=f"Voiture grise qui tourne au ralenti n° {i + 1}, plaque masquée.",
                          severity="severe" if i == 0 else "moderate", created_at=now, published_at=now,
                          expires_at=now + timedelta(hours=24), status="published",
                          idempotency_key=uuid.uuid4().hex, source="web",
                          place=Point(centre.x + 0.0006 * i, centre.y - 0.0012))
            s.add(alert)
            s.flush()
            ids.append(alert.id)
        s.commit()
    return ids


def test_markers_after_reload_then_patrol_sent_with_a_reply(browser, live_server, login, shot, demo_agent, e2e_db,
                                                           mails):
    ids = _located_alerts(e2e_db)
    errors = []
    with browsing(browser, live_server, errors) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.reload()
        # every located alert listed has its marker, drawn on load (not only the ones that arrive live)
        listed = page.locator("#activity li[data-lat]").count()
        assert listed >= 2
        expect(page.locator("#mairie-map")).to_have_attribute("data-markers", str(listed))
        assert page.locator("path.alert-marker").count() == listed
        expect(page.locator(".activity-item", has_text="n° 1").get_by_text("gravité : Élevée")).to_be_visible()
        shot(page, "mairie-dashboard-markers-360")
        page.goto(f"/mairie/77449?gravite=%C3%89lev%C3%A9e")
        expect(page.locator(".activity-item", has_text="n° 2")).to_have_count(0)

        page.goto("/mairie/77449")
        page.locator(".activity-item", has_text="n° 1").get_by_role("link", name="suivi et réponse").click()
        page.get_by_label("patrouille envoyée").check()
        page.get_by_label("Réponse à l'auteur").fill(REPLY)
        page.get_by_role("button", name="Enregistrer et prévenir").click()
        expect(page.get_by_text("Statut « patrouille envoyée » enregistré")).to_be_visible()
        shot(page, "mairie-follow-up-360")
    assert not errors, errors

    message = wait_for_mail(mails, AUTHOR, "patrouille envoyée")
    assert REPLY in mail_text(message)

    with browsing(browser, live_server) as page:
        login(page, AUTHOR)
        page.goto(f"/alertes/{ids[0]}")
        panel = page.locator("section", has_text="Suivi par la mairie de Serris")
        expect(panel).to_contain_text("patrouille envoyée")
        expect(panel).to_contain_text("Une patrouille de la police municipale passe rue du Parc")
        shot(page, "alert-mairie-reply-360")
