"""Browser, at 360 px: an agent of Serris composes the crisis cell (a wrong number first),
activates the PCS as an exercise, sends two prepared messages to the population (each
shown with its reach, then confirmed), writes in the main courante, ends the crisis; the cell and the residents get
their SMS marked « EXERCICE », the end reaches them, and the main courante's PDF lists
each step with its time (Paris) and author."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from mail_wait import arrived
from mairie_login import demo_agent, enrol_and_sign_in  # noqa: F401 (demo_agent: a fixture)
from phones import PHONE, browsing

from vvs_core.testing import pdf_text

pytestmark = pytest.mark.browser
TITLE = "Exercice crue « Marne » 🌊"
MEMBER = "Zoé N’Diaye"


@pytest.fixture(scope="module")
def demo_plan(e2e_db):
    """The demo commune's cell (three members) and prepared messages, as ``vvs demo`` loads them."""
    from sqlalchemy import select

    from vvs_core.models import Commune
    from vvs_pcs.demo_data import load_demo_pcs

    with e2e_db() as session:
        load_demo_pcs(session, session.scalar(select(Commune).where(Commune.insee == "77449")))
        session.commit()


def _full_name(e2e_db, email: str) -> str:
    from sqlalchemy import select

    from vvs_core.models import User

    with e2e_db() as session:
        return session.scalar(select(User).where(User.email == email)).full_name


def test_pcs_exercise_activated_two_messages_then_ended(browser, live_server, login, shot, demo_agent, e2e_db, sms,
                                                     demo_plan):
    errors = []
    with browsing(browser, live_server, errors, viewport=PHONE, timezone_id="Europe/Paris",
                  accept_downloads=True) as page:
        enrol_and_sign_in(page, login, shot, demo_agent, e2e_db)
        page.get_by_role("link", name="Activer le PCS, cellule de crise, messages préparés").click()
        page.wait_for_url(re.compile(r"/pcs/77449$"))
        shot(page, "pcs-plan")

        page.get_by_role("link", name="Composer la cellule de crise").click()
        page.get_by_label("Nom et prénom").fill(MEMBER)
        page.get_by_label("Fonction dans la cellule (facultatif)").fill("Adjointe « sécurité »")
        page.get_by_label("Téléphone portable").fill("06 39 98 99")
        page.get_by_role("button", name="Ajouter à la cellule").click()
        page.get_by_text("Numéro de téléphone invalide").wait_for()  # the answer, not the page it was sent from
        assert page.get_by_text("Numéro de téléphone invalide").count() == 1
        shot(page, "pcs-cell-error")
        page.get_by_label("Téléphone portable").fill("06 39 98 99 07")
        page.get_by_role("button", name="Ajouter à la cellule").click()
        # On a busy machine the form's page was still there when counted: wait for the answer.
        page.get_by_text(f"{MEMBER} fait partie de la cellule de crise.").wait_for()
        assert page.get_by_text(f"{MEMBER} fait partie de la cellule de crise.").count() == 1
        shot(page, "pcs-cell")
        page.get_by_role("link", name="← Plan communal de sauvegarde").click()

        page.get_by_label("Nature de la crise").fill(TITLE)
        page.get_by_label(re.compile("Exercice : tous les messages")).check()
        page.get_by_role("button", name="Activer le PCS").click()
        page.wait_for_url(re.compile(r"/pcs/77449/crises/\d+$"))
        main = page.locator("main").inner_text()
        assert "EXERCICE" in main and "Cellule de crise prévenue : 4 membres" in main and "(SMS, e-mail)" in main
        shot(page, "pcs-crisis-open")
        arrived(sms, lambda m: "PCS de Serris" in m.text, "the cell's SMS")
        cell_sms = [m for m in sms() if "PCS de Serris" in m.text]
        assert cell_sms and all(m.text.startswith("EXERCICE - PCS de Serris") for m in cell_sms)

        for title in ("Crue : évacuation des bords de la Marne", "Mise à l'abri : restez chez vous"):
            page.get_by_role("button", name=f"Envoyer « {title} » à toute la commune").click()
            page.wait_for_url(re.compile(r"/pcs/77449/crises/\d+/message$"))  # what leaves, to whom: then confirm
            assert page.get_by_role("heading", name=f"Envoyer « {title} » ?").count() == 1
            if title.startswith("Crue"):
                shot(page, "pcs-confirm-message")
            page.get_by_role("button", name="Confirmer : envoyer à toute la commune").click()
            page.wait_for_url(re.compile(r"/pcs/77449/crises/\d+$"))
            assert page.get_by_text(re.compile(f"« {re.escape(title)} » envoyé à la population")).count() >= 1
        shot(page, "pcs-two-messages")
        arrived(sms, lambda m: "Mise à l'abri" in m.text and m.text.startswith("EXERCICE - Mairie de Serris"),
                "the residents' SMS")

        page.get_by_label("Inscrire à la main courante").fill("Gymnase Jean-Moulin ouvert : 40 lits, l’eau monte ⚠️")
        with page.expect_navigation():  # recorded before the next form is filled (a click there would cancel it)
            page.get_by_role("button", name="Inscrire").click()
        page.get_by_label("Message de fin de crise").fill("Fin de l’exercice : merci à toutes et à tous !")
        page.get_by_role("button", name="Annoncer la fin de crise").click()
        page.wait_for_url(re.compile(r"/pcs/77449/crises/\d+/fin$"))
        assert "Cellule de crise" in page.locator("main").inner_text()
        shot(page, "pcs-confirm-end")
        page.get_by_role("button", name="Confirmer : annoncer la fin de crise").click()
        page.wait_for_url(re.compile(r"/pcs/77449/crises/\d+$"))
        main = page.locator("main").inner_text()
        assert "close le" in main and "Fin de crise annoncée" in main
        assert page.get_by_role("button", name="Annoncer la fin de crise").count() == 0
        shot(page, "pcs-crisis-closed")
        arrived(sms, lambda m: "Fin d'alerte" in m.text and "Fin de l'exercice" in m.text, "the residents' end")

        with page.expect_download() as download:
            page.get_by_role("link", name="Main courante en PDF").click()
        pdf = open(download.value.path(), "rb").read()
        (Path(__file__).parents[1] / "screenshots" / "pcs-main-courante.pdf").write_bytes(pdf)
        text = " ".join(pdf_text(pdf).split())  # table cells wrap their lines
        agent = _full_name(e2e_db, demo_agent)  # written on every line the agent did
        for step in ("Activation du PCS", "Cellule de crise prévenue", "Message à la", "Main courante",
                     "Fin de crise", "Gymnase Jean-Moulin", "EXERCICE", agent):
            assert step in text, step
        assert len(re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", text)) >= 7
    assert not errors, errors
