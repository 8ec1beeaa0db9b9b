"""Browser: the mairie's agent asks Le Bourg « Êtes-vous en sécurité ? »; Monique answers
AIDE on her 360 px phone from the link of her SMS (no sign-in); Julien answers OUI in the
web app; the agent's live page shows both without reloading, then the agent closes the
roll-call and reads its summary. (The SMS keywords and the waves of escalation, which
need the clock moved, are in tests/plugins/vvs_rollcall.)"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from vvs_core.testing import pdf_text
from mairie_login import demo_agent, enrol_and_sign_in, forget_last_code  # noqa: F401 (demo_agent: a fixture)

pytestmark = pytest.mark.browser


def _link_of(e2e_db, email):
    from sqlalchemy import select

    from vvs_core.models import Notification, User

    with e2e_db() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        body = session.scalars(select(Notification.body).where(
            Notification.kind == "rollcall", Notification.recipient_id == user_id, Notification.channel == "sms")
            .order_by(Notification.id.desc())).first()
    return re.search(r"/securite/r/[0-9]+-[A-Za-z0-9_-]+", body).group(0)


def test_rollcall_aide_by_link_oui_in_the_app_live_and_summary(page, person, login, shot, demo_agent, e2e_db):
    forget_last_code(e2e_db, demo_agent)
    enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
    # the commune's waves: a first one after 20 minutes to the référent and the CCAS
    page.goto("/securite/77449")
    page.get_by_role("link", name="Réglages des relances").click()
    page.get_by_label("Délai en minutes").first.fill("20")
    page.locator("fieldset", has_text="Relance 1").get_by_label("CCAS").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("body")).to_contain_text("Réglages enregistrés", use_inner_text=True)
    shot(page, "rollcall-settings")
    page.goto("/securite/77449")
    page.get_by_role("link", name="Lancer un appel").click()
    page.get_by_label("Des communautés choisies").check()
    page.get_by_label("Le Bourg").check()
    page.get_by_label("Précision ajoutée à la question (facultatif)").fill("Crue de la Marne : « restez » à l’étage 🌊")
    with page.expect_navigation():  # the count's answer, loaded: its script shows only the chosen target's fields
        page.get_by_role("button", name="Compter les personnes interrogées").click()
    assert re.search(r"\d+ personnes seront interrogées", page.locator(".reach-estimate").inner_text())
    expect(page.locator("#area-field")).to_be_hidden()
    expect(page.locator("#communities-field")).to_be_visible()
    assert "après 20 min au référent de la communauté, au CCAS" in page.locator(".estimate").inner_text()
    shot(page, "rollcall-launch")
    page.get_by_role("button", name="Lancer l'appel").click()
    page.wait_for_url(re.compile(r"/securite/77449/appels/\d+$"))
    assert page.locator("#count-help").inner_text() == "0"

    # Monique: the link of her SMS, on her phone, without signing in
    monique = person()
    monique.goto(_link_of(e2e_db, "monique.lefevre@serris.demo"))
    monique.get_by_label("Si vous avez besoin d'aide, dites ce qu'il vous faut (facultatif)").fill("Bloquée au 1er, l’eau monte 🌊")
    shot(monique, "rollcall-answer-phone")
    monique.get_by_role("button", name="J'ai besoin d'aide").click()
    assert "transmise à la mairie" in monique.locator("#answer-done").inner_text()
    assert monique.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Julien: the menu of the web app
    julien = person("resident@serris.demo")
    julien.goto("/securite/mes-appels")
    julien.get_by_role("button", name="Je suis en sécurité").click()
    expect(julien.locator("body")).to_contain_text("est enregistrée", use_inner_text=True)

    # the agent's page follows without reloading
    page.wait_for_function("() => document.getElementById('count-help').textContent === '1' && "
                           "document.getElementById('count-safe').textContent === '1'", timeout=20000)
    row = page.locator("#people li", has_text="Monique Lefèvre")
    assert "Besoin d'aide" in row.inner_text()
    assert int(page.locator("#rollcall-map").get_attribute("data-markers") or "0") > 0
    shot(page, "rollcall-live")

    page.get_by_role("button", name="Clore l'appel et voir le bilan").click()
    page.wait_for_url(re.compile(r"/bilan$"))
    text = page.locator("main").inner_text()
    assert "Besoin d'aide : 1" in text and "En sécurité : 1" in text and "Bloquée au 1er" in text
    shot(page, "rollcall-summary")

    # the summary as a PDF: who answered, when (Paris time), the emoji dropped cleanly
    with page.expect_download() as download:
        page.get_by_role("link", name="Bilan en PDF").click()
    pdf = open(download.value.path(), "rb").read()
    (Path(__file__).parents[1] / "screenshots" / "rollcall-summary.pdf").write_bytes(pdf)
    text = " ".join(pdf_text(pdf).split())
    assert "Bilan de l'appel « Êtes-vous en sécurité ? » de Serris" in text
    assert re.search(r"\d\d:\d\d Monique Lefèvre( \(prioritaire\))? Besoin d'aide lien Bloquée au 1er, l’eau monte", text)
    assert re.search(r"\d\d:\d\d Julien \S+( \(prioritaire\))? En sécurité application", text)
    assert "Sans réponse à la clôture" in text and "🌊" not in text and "monte ?" not in text
