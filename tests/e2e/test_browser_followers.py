"""Browser, on 360 px phones: a person with no account follows the mairie of Serris by
SMS (code read on the phone, typed back) and another by e-mail (link opened); the
agent sends a commune alert; both receive it; the first stops with "STOP" sent to the
service number (the console provider's callback, as a real provider would call it),
the second with the one-click link of the e-mail; the all-clear then reaches neither."""
from __future__ import annotations

import re
import urllib.parse
import urllib.request

import pytest
from mail_wait import arrived
from mairie_login import demo_agent, enrol_and_sign_in, write_alert  # noqa: F401 (demo_agent: a fixture)
from menu import open_menu
from playwright.sync_api import expect

from vvs_core.testing import mail_text

pytestmark = pytest.mark.browser

NUMBER = "06 39 98 77 41"
E164 = "+33639987741"
EMAIL = "zoe.follower@exemple.fr"
TOKEN = "e2e-console-callback-token-0123456789abcdef"  # tests/e2e/serve.py


def sms_received(live_server, text, ref):
    """What the SMS provider does when someone texts the service number."""
    data = urllib.parse.urlencode({"from": E164, "text": text, "id": ref}).encode()
    with urllib.request.urlopen(f"{live_server}/fournisseurs/console/{TOKEN}/sms-recu", data, timeout=10) as answer:
        return answer.status, answer.read().decode()


def test_follow_by_sms_and_email_receive_and_stop(person, live_server, login, shot, sms, mails, demo_agent,
                                                  e2e_db):
    # 1. Someone with no account finds the page from the menu, on a phone.
    follower = person()
    follower.goto("/")
    open_menu(follower).get_by_role("link", name="Suivre ma mairie").click()
    follower.get_by_label("Votre commune (nom ou code postal)").fill("77700")
    follower.get_by_role("button", name="Chercher").click()
    follower.get_by_role("link", name="Serris").click()
    follower.wait_for_url(re.compile(r"/communes/77449/suivre$"))
    shot(follower, "followers-form")
    follower.get_by_label("Votre numéro de portable ou votre adresse e-mail").fill("pas un numéro 🙃")
    follower.get_by_role("button", name="Recevoir les alertes").click()
    expect(follower.locator("main")).to_contain_text("Numéro de téléphone invalide.", use_inner_text=True)
    follower.get_by_label("Votre numéro de portable ou votre adresse e-mail").fill(NUMBER)
    follower.get_by_role("button", name="Recevoir les alertes").click()
    follower.wait_for_url(re.compile(r"/suivre/code$"))
    code_sms = arrived(sms, lambda m: "code de confirmation" in m.text and m.to.endswith("41"), "the code SMS")[-1]
    code = re.search(r"\b(\d{6})\b", code_sms.text).group(1)
    follower.get_by_label("Code reçu (6 chiffres)").fill(code)
    follower.get_by_role("button", name="Confirmer").click()
    expect(follower.locator("main")).to_contain_text("Vous recevrez les alertes de la mairie de Serris par SMS",
                                                     use_inner_text=True)
    shot(follower, "followers-confirmed")

    # 2. Another, by e-mail.
    reader = person()
    reader.goto("/communes/77449/suivre")
    reader.get_by_label("Votre numéro de portable ou votre adresse e-mail").fill(EMAIL)
    reader.get_by_role("button", name="Recevoir les alertes").click()
    reader.wait_for_url(re.compile(r"/verifiez-vos-e-mails$"))
    confirm = arrived(mails, lambda m: m["To"] == EMAIL and "Confirmez" in m["Subject"], "the confirmation e-mail")[-1]
    reader.goto(re.search(r"https?://\S+/suivre/confirmer/\S+", mail_text(confirm)).group(0))
    reader.get_by_role("button", name="Je confirme").click()
    expect(reader.locator("main")).to_contain_text("Vous recevrez par e-mail les alertes de la mairie de Serris",
                                                   use_inner_text=True)

    # 3. The agent alerts the whole commune: the estimate counts them, both receive it.
    agent = person()
    enrol_and_sign_in(agent, login, shot, demo_agent, e2e_db)
    write_alert(agent, "meteo", "Crue du ru des Gassets : n'allez pas dans les caves",
                "Rendez-vous « salle Jean-Moulin » si l'eau monte.")
    with agent.expect_navigation():  # the estimate's answer, not the form still there
        agent.get_by_role("button", name="Estimer la portée").click()
    assert "dont 2 personnes abonnées sans compte" in agent.locator("main").inner_text()
    agent.get_by_role("button", name="Envoyer l'alerte").click()
    agent.wait_for_url(re.compile(r"/mairie/77449/alertes/\d+$"))
    alert_sms = arrived(sms, lambda m: "Crue du ru des Gassets" in m.text and m.to.endswith("41"), "the alert SMS")
    assert alert_sms[-1].text.startswith("Mairie de Serris")
    alert_mail = arrived(mails, lambda m: m["To"] == EMAIL and "Crue du ru" in m["Subject"], "the alert e-mail")[-1]
    assert alert_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop_link = re.fullmatch(r"<(http://\S+)>", alert_mail["List-Unsubscribe"]).group(1)  # a plain <URL>
    assert stop_link in mail_text(alert_mail)

    # 4. STOP by SMS: the provider calls back; the reply says it is done.
    status, _text = sms_received(live_server, "Stop", "e2e-stop-1")
    assert status == 200
    arrived(sms, lambda m: "vous ne recevrez plus les alertes de la mairie de Serris" in m.text and m.to.endswith("41"),
            "the reply to STOP")
    # 5. The one-click link of the e-mail.
    reader.goto(stop_link)
    reader.get_by_role("button", name="Ne plus recevoir les alertes").click()
    expect(reader.locator("main")).to_contain_text("ne reçoit plus les alertes de la mairie", use_inner_text=True)
    shot(reader, "followers-stopped")

    from sqlalchemy import func, select

    from vvs_followers.models import Follower

    with e2e_db() as session:
        assert session.scalar(select(func.count()).select_from(Follower).where(
            Follower.address.in_([E164, EMAIL]))) == 0

    # 6. The all-clear reaches the residents, not those who stopped.
    agent.get_by_label("Fin d'alerte").check()
    agent.get_by_role("button", name="Envoyer", exact=True).click()
    agent.locator(".pill.ok", has_text="Alerte terminée").wait_for()
    from vvs_core.models.notification import Notification

    with e2e_db() as session:
        ends = session.scalars(select(Notification.address).where(
            Notification.kind == "mairie_alert", Notification.title.like("%Fin d'alerte%"))).all()
    assert ends and E164 not in ends and EMAIL not in ends
