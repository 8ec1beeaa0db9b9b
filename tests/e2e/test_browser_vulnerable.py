"""Browser, at 360 px: Gérard registers himself in the register of vulnerable residents
(forgetting his consent first); Jacques asks in writing for his neighbour Pauline's
registration; the CCAS agent (role « CCAS », second factor) reads the register — each
reading in the journal — where Pauline waits out her 8 days; Pauline opens the link of
her SMS and refuses; the agent of the mairie, not of the CCAS, gets 403."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from mail_wait import arrived
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)

pytestmark = pytest.mark.browser
SELF = "gerard.picard@serris.demo"
REQUESTER = "jacques.renaud@serris.demo"
CCAS = "chantal.faure@serris.demo"
NEIGHBOUR = "Pauline Colin-N’Diaye"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def ccas_agent(demo_agent, e2e_db):
    """Chantal Faure, an agent of Serris with the role « CCAS » (she enrols her second factor)."""
    from sqlalchemy import select

    from vvs_core.models import Commune, User
    from vvs_mairie.models import MairieAgent

    with e2e_db() as session:
        user = session.scalar(select(User).where(User.email == CCAS))
        commune = session.scalar(select(Commune).where(Commune.insee == "77449"))
        if session.scalar(select(MairieAgent).where(MairieAgent.user_id == user.id)) is None:
            session.add(MairieAgent(user_id=user.id, commune_id=commune.id, role="ccas", alert_channels=["email"]))
            session.commit()
    return CCAS


def _context(browser, live_server):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, base_url=live_server,
                                  accept_downloads=True)
    context.set_default_timeout(15000)
    return context


def test_register_self_third_party_objection_and_the_ccas_alone_reads(browser, live_server, login, shot, sms, e2e_db,
                                                                      demo_agent, ccas_agent):
    errors = []
    resident = _context(browser, live_server)
    page = resident.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, SELF)
    page.goto("/registre-vulnerables/mes-inscriptions")
    page.get_by_role("link", name="Inscrire quelqu’un au registre").click()
    page.get_by_label("Moi-même").check()
    page.get_by_label("Personne âgée de 65 ans et plus").check()
    page.get_by_label(re.compile("Ce dont elle a besoin")).fill("Oxygène à domicile ; chien « Filou » 🐕")
    page.get_by_role("button", name="Inscrire au registre").click()
    # Said once, next to the box; the summary the page script builds names the box by its label.
    expect(page.get_by_text("Le registre ne peut inscrire personne sans son consentement")).to_have_count(1)
    expect(page.locator(".error-summary a", has_text="consent à figurer au registre")).to_have_count(1)
    shot(page, "vulnerable-no-consent")
    page.get_by_label(re.compile("consent à figurer au registre")).check()
    page.get_by_role("button", name="Inscrire au registre").click()
    page.wait_for_url(re.compile(r"/registre-vulnerables/mes-inscriptions$"))
    assert "Gérard Picard" in page.locator("main").inner_text()
    shot(page, "vulnerable-mine")
    resident.close()

    requester = _context(browser, live_server)
    page = requester.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, REQUESTER)
    page.goto("/registre-vulnerables/inscription")
    page.get_by_label(re.compile("Un proche, un voisin")).check()
    page.get_by_label("Nom et prénom de la personne").fill(NEIGHBOUR)
    page.get_by_label("Adresse où elle vit").fill("5 rue des Charmettes, Serris")
    page.get_by_label("Son téléphone (facultatif)").fill("06 39 98 99 50")
    page.get_by_label("Personne adulte handicapée").check()
    page.get_by_label("Votre lien avec la personne").fill("Voisin de palier")
    page.get_by_label("Votre demande écrite au maire").fill(
        "Madame, Monsieur le Maire, ma voisine vit seule et se déplace difficilement : je demande son inscription.")
    page.get_by_label(re.compile("a 8 jours pour refuser")).check()
    page.get_by_role("button", name="Inscrire au registre").click()
    page.wait_for_url(re.compile(r"/registre-vulnerables/mes-inscriptions$"))
    main = page.locator("main").inner_text()
    assert NEIGHBOUR in main and "en attente" in main and "sauf opposition" in main
    shot(page, "vulnerable-third-party")
    requester.close()

    agent = _context(browser, live_server)
    page = agent.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
    response = page.goto("/registre-vulnerables/77449")
    assert response.status == 403
    agent.close()

    ccas = _context(browser, live_server)
    page = ccas.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    enrol_and_sign_in(page, login, shot, ccas_agent, e2e_db)
    page.goto("/registre-vulnerables/77449")
    main = page.locator("main").inner_text()
    assert "Gérard Picard" in main and NEIGHBOUR in main and "en attente" in main
    shot(page, "vulnerable-register")
    page.get_by_role("link", name="Gérard Picard").click()
    expect(page.locator("main")).to_contain_text("Oxygène à domicile", use_inner_text=True)
    shot(page, "vulnerable-entry")
    with page.expect_download() as download:
        page.goto("/registre-vulnerables/77449")
        page.get_by_role("link", name="Export CSV pour le préfet").click()
    csv = open(download.value.path(), encoding="utf-8-sig").read()
    assert "Gérard Picard" in csv and NEIGHBOUR not in csv  # still within her 8 days

    # Pauline opens the link of her SMS, with no account, and refuses.
    link = arrived(sms, lambda m: "opposition" in m.text, "the SMS to the neighbour")[0].text
    path = "/registre-vulnerables/opposition/" + re.search(r"/registre-vulnerables/opposition/(\S+)", link)[1]
    person = _context(browser, live_server)
    neighbour = person.new_page()
    neighbour.goto(path)
    shot(neighbour, "vulnerable-objection")
    neighbour.get_by_role("button", name="Je refuse d’être inscrit(e)").click()
    expect(neighbour.get_by_text("Votre opposition est enregistrée")).to_have_count(1)
    person.close()

    page.goto("/registre-vulnerables/77449")
    assert NEIGHBOUR not in page.locator("main").inner_text()

    # A roll-call of the whole commune: the register's people come first, the CCAS gets the
    # link of their list (never their names) and reads it on the register's page.
    page.goto("/securite/77449/nouvel-appel")
    page.get_by_label("Toute la commune").check()
    with page.expect_navigation():  # the count's answer, before the launch
        page.get_by_role("button", name="Compter les personnes interrogées").click()
    page.get_by_role("button", name="Lancer l'appel").click()
    page.wait_for_url(re.compile(r"/securite/77449/appels/\d+$"))
    assert "liste de 1 personne inscrite à joindre en priorité envoyée au CCAS" in page.locator("main").inner_text()
    with e2e_db() as session:
        from sqlalchemy import select

        from vvs_core.models import Notification

        body = session.scalars(select(Notification.body).where(Notification.subject_type == "vulnerable_list")
                               .order_by(Notification.id.desc())).first()
    assert "Gérard Picard" not in body and "Oxygène" not in body
    page.goto(re.search(r"/registre-vulnerables/77449/a-joindre/\d+", body)[0])
    listed = page.locator("main").inner_text()
    assert "Gérard Picard" in listed and "chien « Filou » 🐕" in listed and "appel « Êtes-vous en sécurité ? »" in listed
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "vulnerable-priority-list")
    page.goto("/registre-vulnerables/77449")
    with page.expect_navigation():
        page.get_by_role("link", name="journal des lectures").click()
    journal = page.locator("main").inner_text()
    assert journal.count("Chantal Faure") >= 4 and "export CSV pour le préfet" in journal
    assert "liste prioritaire envoyée au CCAS" in journal and "lecture d'une liste prioritaire" in journal
    shot(page, "vulnerable-journal")
    ccas.close()
    assert not errors, errors
