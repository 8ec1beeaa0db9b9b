"""Issue 12.4: the embedded default never fails under concurrency.

`make run`'s own configuration — development.ini, a SQLite file, the inline queue's
worker threads and the scheduler in the web process, waitress with its 8 threads — with
the demo commune. Twenty people act at the same instant, while alerts fan out: five post
an alert, four follow up on an alert, four moderation actions, four new messages, three
open a conversation (which marks it read). Every answer is a success; nothing in the
server's log says "database is locked". Then a page whose table is gone answers the
French 500 page, not waitress's English "Internal Server Error".
"""
from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
import requests
from lxml import html

from vvs_demo.loader import email_for
from make_run import make_run_server
from vvs_core.testing import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# (first, last, special) of demo residents, by community
BOURG = [("Claire", "Dubois", "referent"), ("Julien", "Martin", "resident"), ("Monique", "Lefèvre", None),
         ("Bernard", "Girard", None), ("Élodie", "Fontaine", None), ("Thierry", "Roux", None), ("Nadia", "Haddad", None)]
CLOUD = [("Françoise", "Moreau", None), ("Patrick", "Lambert", None), ("Camille", "Perrin", None),
         ("Hugo", "Garnier", None), ("Aïcha", "Diallo", None)]
PARC = [("Sandrine", "Mercier", None), ("Olivier", "Blanc", None), ("Léa", "Rousseau", None),
        ("Mehdi", "Bouzid", None)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    here = tmp_path_factory.mktemp("make-run-concurrency")
    with make_run_server(ROOT, here, VVS_ALERTS_MAX_PER_HOUR="50") as (base, log_path):
        yield base, log_path, here / "vvs.sqlite"


class Person:
    def __init__(self, base, email):
        self.base, self.email = base, email
        self.http = requests.Session()
        page = self.get("/connexion")
        self.submit(page, "deform", {"email": email, "password": DEMO_PASSWORD}, expect=(302, 303))

    def get(self, path, **kw):
        response = self.http.get(self.base + path, timeout=120, **kw)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response

    def csrf(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get("/charte").text).group(1)

    def form_values(self, page, formid, values, check=()):
        form = html.fromstring(page.text).get_element_by_id(formid)
        for name, value in values.items():
            form.fields[name] = value
        for box in form.xpath(".//input[@type='checkbox']"):
            if box.get("value") in check:
                box.checked = True
        return [*form.form_values(), ("submit", "submit")], form.get("action") or page.url

    def submit(self, page, formid, values, check=(), expect=(303,)):
        data, action = self.form_values(page, formid, values, check)
        response = self.http.post(requests.compat.urljoin(page.url, action), data=data, allow_redirects=False,
                                  timeout=120)
        assert response.status_code in expect, (formid, response.status_code, response.text[:800])
        return response


def post_alert(person, text):
    page = person.get("/alertes/nouvelle")
    return person.submit(page, "alerte", {"category": "reperage", "text": text})


def test_twenty_people_at_once_on_the_embedded_default(served):
    base, log_path, _database = served
    people = {}
    for first, last, special in [*BOURG, *CLOUD, *PARC]:
        email = email_for(first, last, special)
        people[email] = Person(base, email)
    moderator = Person(base, email_for("Denis", "Vasseur", "moderateur"))
    bourg = [people[email_for(*p)] for p in BOURG]
    cloud = [people[email_for(*p)] for p in CLOUD]
    parc = [people[email_for(*p)] for p in PARC]

    # Before: an alert to follow up, four to moderate, three conversations to open.
    follow = post_alert(bourg[1], "Deux hommes essaient les poignées des voitures rue de Lagny, l’un en « sweat » gris.")
    follow_id = int(follow.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    to_moderate = []
    for person in cloud[:4]:
        answer = post_alert(person, f"Démarchage insistant au porte-à-porte, allée des Tilleuls 🚪 ({person.email}).")
        to_moderate.append(int(answer.headers["Location"].rsplit("/", 1)[1]))
    conversations = []
    for sender in parc[:3]:
        page = sender.get("/messagerie/nouveau")
        box = html.fromstring(page.text).xpath(".//input[@type='checkbox']")
        assert box, "no neighbour to write to"
        answer = sender.submit(page, "new-conversation", {"subject": "Colis", "text": "Bonjour, j’ai reçu votre colis."},
                               check=[box[0].get("value")])
        conversations.append((sender, answer.headers["Location"]))

    tokens = {id(p): p.csrf() for p in [*people.values(), moderator]}
    new_pages = {id(p): p.get("/alertes/nouvelle") for p in [bourg[0], bourg[2], bourg[3], cloud[4], parc[3]]}
    message_pages = {id(p): p.get("/messagerie/nouveau") for p in [bourg[0], bourg[2], cloud[0], cloud[1]]}

    def alert_job(person):
        def run():
            page = new_pages[id(person)]
            data, action = person.form_values(page, "alerte", {"category": "autre", "text": f"Vol de vélo devant l’école, ç’a duré 2 min ({uuid.uuid4().hex[:6]})."})
            return person.http.post(requests.compat.urljoin(page.url, action), data=data, allow_redirects=False, timeout=120)
        return run

    def follow_job(n):
        def run():
            return bourg[1].http.post(f"{base}/alertes/{follow_id}/suivi", allow_redirects=False, timeout=120,
                                      data={"csrf_token": tokens[id(bourg[1])], "kind": "update",
                                            "text": f"Suite n° {n} : ils sont partis vers la gare, voiture bleue."})
        return run

    def moderation_job(alert_id):
        def run():
            return moderator.http.post(f"{base}/alertes/{alert_id}/moderation", allow_redirects=False, timeout=120,
                                       data={"csrf_token": tokens[id(moderator)], "action": "warn",
                                             "reason": "Merci de rester factuel : pas de nom ni d’adresse précise."})
        return run

    def message_job(person):
        def run():
            page = message_pages[id(person)]
            box = html.fromstring(page.text).xpath(".//input[@type='checkbox']")[0].get("value")
            data, action = person.form_values(page, "new-conversation",
                                              {"subject": "Fête des voisins", "text": "On s’organise samedi ? 🎉"},
                                              check=[box])
            return person.http.post(requests.compat.urljoin(page.url, action), data=data, allow_redirects=False,
                                    timeout=120)
        return run

    def read_job(sender, location):
        def run():
            return sender.http.get(location, allow_redirects=False, timeout=120)
        return run

    jobs = ([alert_job(p) for p in (bourg[0], bourg[2], bourg[3], cloud[4], parc[3])]
            + [follow_job(n) for n in range(4)]
            + [moderation_job(a) for a in to_moderate]
            + [message_job(p) for p in (bourg[0], bourg[2], cloud[0], cloud[1])]
            # the senders open their conversations again: a read that marks them read
            + [read_job(sender, location) for sender, location in conversations])
    assert len(jobs) == 20
    for round_number in range(2):
        barrier = threading.Barrier(len(jobs))
        results: list = [None] * len(jobs)

        def worker(i):
            barrier.wait()
            try:
                results[i] = jobs[i]().status_code
            except Exception as exc:  # noqa: BLE001 — reported below
                results[i] = repr(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        failures = [(i, r) for i, r in enumerate(results) if r not in (200, 303)]
        assert not failures, f"round {round_number}: {results}\n" + log_path.read_text(errors="replace")[-4000:]

    log = log_path.read_text(errors="replace")
    # A page that writes (marking a conversation read) may meet a writer and be run
    # again (one INFO line each); nothing else may fail.
    assert "Traceback" not in log and "unhandled error" not in log, log[-4000:]
    print("pages run again after a write conflict:", log.count("the request runs again"))


def test_a_forced_error_answers_the_french_page_not_the_servers(served):
    base, log_path, database = served
    person = Person(base, email_for("Julien", "Martin", "resident"))
    person.get("/messagerie")
    with sqlite3.connect(database, timeout=30) as db:
        db.execute("ALTER TABLE msg_participants RENAME TO msg_participants_hidden")
    try:
        response = person.http.get(base + "/messagerie", timeout=60)
    finally:
        with sqlite3.connect(database, timeout=30) as db:
            db.execute("ALTER TABLE msg_participants_hidden RENAME TO msg_participants")
    assert response.status_code == 500
    assert '<html lang="fr"' in response.text
    assert "Une erreur est survenue de notre côté" in response.text
    assert "Internal Server Error" not in response.text
    assert "appelez le 17" in response.text
