"""Acceptance of issue 12 (SMS and links), the way `PORT=… make run` runs: development.ini,
SQLite, the demo commune, the inline queue, the console SMS provider and the folder
e-mail provider, served by pserve on a port that is not the default. A resident posts
the alert through the web form; the SMS printed in the server's log and the e-mails
written to the mail folder must carry the description in GSM-7 and links on that port,
and the link must open the alert."""
from __future__ import annotations

import glob
import re
from email import message_from_binary_file
from pathlib import Path

import pytest
import requests
from lxml import html

from make_run import make_run_server
from vvs_core.testing import DEMO_PASSWORD, mail_text, wait_for

ROOT = Path(__file__).resolve().parents[2]
TEXT = ("Camionnette blanche immatriculée en Belgique, deux hommes regardent les boîtes aux lettres rue de l’Église "
        "depuis ce matin, ils s’arrêtent à chaque maison. Ne leur ouvrez pas « pour un contrôle ».")

pytestmark = pytest.mark.slow


def waited(predicate, what: str, seconds: float = 60):
    found = wait_for(predicate, seconds)
    assert found, f"timed out waiting for {what}"
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make run` on another port, in a folder of its own (the settings come from the
    environment, which wins over development.ini)."""
    here = tmp_path_factory.mktemp("make-run")
    with make_run_server(ROOT, here) as (base, log_path):
        yield base, log_path, here / "mail"


def form_fields(page: requests.Response, form_id: str) -> dict:
    form = html.fromstring(page.text).get_element_by_id(form_id)
    fields = {i.name: i.value or "" for i in form.inputs if i.name and getattr(i, "type", "") != "checkbox"}
    return {k: v for k, v in fields.items() if v is not None}


def signed_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/connexion")
    fields = form_fields(page, "deform")
    fields.update(email=email, password=DEMO_PASSWORD)
    answer = session.post(base + "/connexion", data=fields, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:500]
    return session


def test_the_alert_sms_and_e_mails_link_to_the_served_port(served):
    base, log_path, maildir = served
    resident = signed_in(base, "resident@serris.demo")
    fields = form_fields(resident.get(base + "/alertes/nouvelle"), "alerte")
    fields.update(category="reperage", text=TEXT, severity="moderate")
    posted = resident.post(base + "/alertes/nouvelle", data=fields, allow_redirects=False)
    assert posted.status_code == 303, posted.text[:500]
    alert_path = posted.headers["Location"].replace(base, "")
    assert re.fullmatch(r"/alertes/\d+", alert_path)
    link = base + alert_path

    printed = waited(lambda: [line for line in log_path.read_text(encoding="utf-8").splitlines()
                                if "SMS à" in line and link + " " in line], "the SMS in the server's log")
    sms = printed[0].split(" : ", 1)[1]
    assert "(GSM-7, 2 SMS," in printed[0]
    assert "deux hommes regardent les boites aux lettres rue de l'Église" in sms
    assert sms.endswith(f"{link} En cas d'urgence, appelez le 17.")
    log = log_path.read_text(encoding="utf-8")
    assert "6543" not in log and "vvs.public_url" not in log  # no stale default, no warning in development

    def mails():
        found = []
        for path in glob.glob(str(maildir / "alert_*.eml")):
            with open(path, "rb") as fh:
                found.append(mail_text(message_from_binary_file(fh)))
        return found
    texts = waited(mails, "the alert e-mails")
    assert all(f"Voir l'alerte : {link}" in text for text in texts)
    assert all(set(re.findall(r"https?://[^\s/]+", text)) == {base} for text in texts)
    assert "les boîtes aux lettres rue de l’Église" in texts[0]  # e-mails keep the French as written

    # the link opens the alert for a neighbour who is signed in, and asks others to sign in
    neighbour = signed_in(base, "referent@serris.demo")
    page = neighbour.get(link)
    assert page.status_code == 200 and "les boîtes aux lettres rue de l’Église" in page.text
    anonymous = requests.get(link, allow_redirects=False)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
