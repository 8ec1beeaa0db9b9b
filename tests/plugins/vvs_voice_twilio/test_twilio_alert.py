"""Acceptance (issue 17.2): a landline-only resident of the commune receives the mairie's
alert through the Twilio API (the fake, driven by the real client), confirms with "1";
the alert's summary, the proof-of-warning CSV and PDF show it, and both verify."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fake_twilio import CALLBACK_TOKEN, fake_twilio  # noqa: F401  (fixture)

from vvs_core.models import Membership, Notification
from vvs_core.testing import TEST_SECRET, VVSTestApp, app_on_session, pdf_text, run_tasks
from vvs_mairie.models import MairieAlert
from vvs_mairie.proof import signature
from vvs_mairie.testing import agent_login, mairie  # noqa: F401  (fixtures)

LANDLINE = "+33199000301"
@pytest.fixture
def twilio_testapp(app, db_url, session_factory, fake_twilio):  # noqa: F811
    # After ``app`` (which the mairie fixture needs): the tasks run on this application.
    settings = {k: str(v) for k, v in fake_twilio.settings().items()}
    with app_on_session(db_url, session_factory, **{"vvs.voice.provider": "twilio"}, **settings) as wsgi:
        yield VVSTestApp(wsgi)


def twilio_calls_back(testapp, request):
    """Twilio's signed POST, as the fake built it, sent to the application."""
    return testapp.post(request.path_qs, dict(request.POST),
                        headers={"X-Twilio-Signature": request.headers["X-Twilio-Signature"]})


def test_a_landline_only_resident_is_called_confirms_with_1_and_the_proof_shows_it(
        twilio_testapp, dbsession, mairie, make_user, agent_login, fake_twilio):  # noqa: F811
    testapp = twilio_testapp
    elder = make_user(first_name="Odette", last_name="Lefèvre", mobile=None, landline=LANDLINE,
                      address_label="12 rue de l’Église")
    dbsession.add(Membership(user_id=elder.id, community_id=mairie.community.id, status="active"))
    dbsession.flush()
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Crue du Grand Morin : montez à l’étage",
            "body": "N’utilisez pas votre véhicule ; « restez chez vous ».", "target": "commune", "confirm": "1"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).location
    run_tasks()
    alert = dbsession.scalars(sa.select(MairieAlert)).one()

    [placed] = [c for c in fake_twilio.placed if c["to"] == LANDLINE]
    assert placed["said"].startswith("Message de la mairie de Serris.")
    assert "Crue du Grand Morin : montez à l’étage." in placed["said"]
    # the quoted words read as words (the outbox's speakable leaves the « » out)
    assert "véhicule ; restez chez vous." in placed["said"] and "«" not in placed["said"] and "appuyez sur la touche 1" in placed["prompt"]
    assert all(c["to"] != r.mobile for c in fake_twilio.placed for r in mairie.residents)  # mobiles get SMS
    call = dbsession.scalar(sa.select(Notification).where(Notification.recipient_id == elder.id,
                                                          Notification.channel == "voice"))
    assert (call.channel, call.status, call.provider, call.provider_ref) == ("voice", "sent", "twilio", placed["sid"])

    # Twilio: the landline rings, Odette answers, listens and presses 1
    twilio_calls_back(testapp, fake_twilio.call_event(placed["sid"], "answered"))
    reply = twilio_calls_back(testapp, fake_twilio.call_event(placed["sid"], "keypad", "1"))
    assert reply.content_type == "text/xml" and "votre confirmation est enregistrée" in reply.text
    assert "<Hangup" in reply.text
    twilio_calls_back(testapp, fake_twilio.call_event(placed["sid"], "completed"))
    dbsession.expire_all()
    call = dbsession.get(Notification, call.id)
    assert (call.status, call.reaction) == ("delivered", "confirmed")
    # a call Twilio did not sign is refused and changes nothing
    forged = fake_twilio.forged_call_event(placed["sid"], "keypad", "2")
    testapp.post(forged.path_qs, dict(forged.POST), headers={"X-Twilio-Signature": forged.headers["X-Twilio-Signature"]},
                 status=400)

    assert "appels : 1 décroché, 1 écouté jusqu'au bout, 1 confirmé par la touche 1" in testapp.get(page).text

    csv_text = testapp.get(f"{page}/preuve.csv").body.decode("utf-8-sig")
    [line] = [line for line in csv_text.splitlines() if "Odette" in line and ";appel;" in line]
    assert ";12 rue de l’Église;Odette Lefèvre;appel;+3319900**01;confirmé (touche 1);" in line
    assert LANDLINE not in csv_text
    verdict = testapp.post_csrf("/mairie/77449/preuve/verifier", upload_files=[("file", "preuve.csv", csv_text.encode())])
    assert "Preuve intègre et signée" in verdict.text

    pdf = testapp.get(f"{page}/preuve.pdf")
    text = pdf_text(pdf.body)
    last = re.search(r"empreinte finale;([0-9a-f]{64})", csv_text).group(1)
    signed = re.search(r"Signature de la commune \(HMAC-SHA256\) : ([0-9a-f]{64})", text.replace("\\(", "(")
                       .replace("\\)", ")")).group(1)
    assert f"{last}" in text and signed == signature(TEST_SECRET, "77449", last)
    assert "1 confirmation par la touche 1" in text and "confirmé (touche 1)" in text  # in the table
    assert alert.id


def test_an_exercise_call_says_exercice_first_and_never_rings_at_night(
        twilio_testapp, dbsession, mairie, make_user, agent_login, fake_twilio, clock):  # noqa: F811
    testapp = twilio_testapp
    elder = make_user(first_name="Marcel", mobile=None, landline=LANDLINE, address_label="3 rue Test")
    dbsession.add(Membership(user_id=elder.id, community_id=mairie.community.id, status="active"))
    dbsession.flush()
    clock.set_local(2026, 11, 25, 10, 0)
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Exercice crue", "body": "Rejoignez le gymnase.", "target": "commune",
            "exercise": "1", "confirm": "1"}
    testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303)
    run_tasks()
    [placed] = [c for c in fake_twilio.placed if c["to"] == LANDLINE]
    assert placed["said"].startswith("EXERCICE. Ceci est un exercice de la mairie")
    fake_twilio.reset()
    clock.set_local(2026, 11, 25, 23, 15)
    testapp.reset()
    agent_login(testapp, mairie)  # the second factor of the morning has expired
    testapp.post_csrf("/mairie/77449/alertes/nouvelle", {**form, "title": "Exercice de nuit"}, status=303)
    run_tasks()
    assert fake_twilio.placed == [] or all(c["to"] != LANDLINE for c in fake_twilio.placed)
    night = dbsession.scalars(sa.select(MairieAlert).where(MairieAlert.title == "Exercice de nuit")).one()
    call = dbsession.scalar(sa.select(Notification).where(Notification.subject_id == night.id,
                                                          Notification.channel == "voice"))
    assert call.status == "pending" and call.next_attempt_at == clock.set_local(2026, 11, 26, 8, 0)
