"""The mairie follows residents' alerts (real vvs_alerts alerts, met only through hooks):
status and reply to the author (e-mail and the alert's page) and, when chosen, the
community; held, withdrawn and ended alerts kept and labelled; filters; markers' data;
time to acknowledge in the monthly report; no report for a month that has not started;
agents land on their dashboard."""
import re
import uuid
from datetime import timedelta

from shapely.geometry import Point
from sqlalchemy import select

from vvs_core.clock import utcnow
from vvs_core.models import Notification
from vvs_mairie.models import AlertAcknowledgement, AlertReply
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

REPLY = "Patrouille de la police municipale envoyée rue de l’Église à 23 h 30 « merci » 👮"


def _alert(dbsession, setup, author=None, status="published", severity="moderate", minutes_ago=10, place=True,
           text="Deux individus essaient les poignées de portes rue de l'Église."):
    from vvs_alerts.models import Alert

    created = utcnow() - timedelta(minutes=minutes_ago)
    alert = Alert(community_id=setup.community.id, commune_id=setup.commune.id,
                  author_id=(author or setup.residents[0]).id, category="tentative_cambriolage", text=text,
                  severity=severity, created_at=created, published_at=created if status != "held" else None,
                  expires_at=created + timedelta(hours=24), status=status, idempotency_key=uuid.uuid4().hex,
                  source="web", place=Point(2.7865, 48.8455) if place else None)
    dbsession.add(alert)
    dbsession.flush()
    return alert


def test_patrol_sent_with_a_reply_to_the_author_and_the_community(testapp, dbsession, mairie, agent_login):
    alert = _alert(dbsession, mairie)
    author, neighbour = mairie.residents[0], mairie.residents[1]
    agent_login(testapp, mairie)
    url = f"/mairie/77449/signalements/{alert.id}"
    page = testapp.get(url)
    assert "reçue" in page.text and "Deux individus" in page.text
    # bad input: nothing changes
    for bad, message in (({"status": "patrouille", "reply": "x" * 501}, "Réponse trop longue : 500 caractères au plus"),
                         ({"status": "n'importe", "reply": "ok"}, "Choisissez un statut"),
                         ({"status": "close", "reply": "", "to_community": "1"}, "Écrivez la réponse à envoyer")):
        answer = testapp.post_csrf(url, {**bad, "seen": "recue"}, status=400)
        assert message in answer.text
    assert dbsession.scalars(select(AlertAcknowledgement)).all() == []
    done = testapp.post_csrf(url, {"status": "patrouille", "reply": REPLY, "to_community": "1", "seen": "recue"},
                             status=303).follow()
    assert "Statut « patrouille envoyée » enregistré : envoyé à l'auteur et à sa communauté" in done.text
    ack = dbsession.scalars(select(AlertAcknowledgement)).one()
    assert ack.status == "patrouille" and (ack.at - alert.created_at) >= timedelta(minutes=10)
    to_author = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_ack")).all()
    assert {n.recipient_id for n in to_author} == {author.id}
    assert all(REPLY in n.body and "patrouille envoyée" in n.body for n in to_author)
    assert any(n.channel == "email" for n in to_author)
    # the alert's own full stop is not doubled: « …rue de l'Église ». (walkstaff item 16)
    assert all("rue de l'Église ». Statut" in n.body and ". »" not in n.body for n in to_author)
    to_community = dbsession.scalars(select(Notification).where(Notification.kind == "mairie_message")).all()
    assert all(n.title.endswith("rue de l'Église »") for n in to_community), [n.title for n in to_community]
    assert {n.recipient_id for n in to_community} == {u.id for u in mairie.residents if u.email}
    # a second agent's page still saying "reçue": refused, nothing applied twice
    stale = testapp.post_csrf(url, {"status": "close", "reply": "Fin.", "seen": "recue"}, status=400)
    assert "Un autre agent vient de changer le statut de cette alerte : « patrouille envoyée »" in stale.text
    assert dbsession.scalar(select(AlertReply.id).where(AlertReply.status == "close")) is None
    # the author reads the reply on the alert's page; so does a neighbour (sent to the community)
    testapp.reset()
    testapp.login(author)
    page = testapp.get(f"/alertes/{alert.id}")
    assert "Suivi par la mairie de Serris" in page.text and "patrouille envoyée" in page.text
    assert "Patrouille de la police municipale envoyée rue de l’Église" in page.text


def test_a_reply_only_to_the_author_is_not_shown_to_neighbours(testapp, dbsession, mairie, agent_login):
    alert = _alert(dbsession, mairie)
    agent_login(testapp, mairie)
    testapp.post_csrf(f"/mairie/77449/signalements/{alert.id}", {"status": "prise_en_compte",
                                                                  "reply": "Nous vous rappelons demain matin."},
                      status=303)
    testapp.reset()
    testapp.login(mairie.residents[1])
    page = testapp.get(f"/alertes/{alert.id}")
    assert "prise en compte" in page.text and "Nous vous rappelons" not in page.text
    testapp.reset()
    testapp.login(mairie.residents[0])
    assert "Nous vous rappelons demain matin." in testapp.get(f"/alertes/{alert.id}").text


def test_vvs_alert_panels(app_registry, dbsession, mairie):
    """No follow-up, no panel; an unsubscribed commune, no panel."""
    from types import SimpleNamespace

    alert = _alert(dbsession, mairie)
    request = SimpleNamespace(dbsession=dbsession, registry=app_registry, user=mairie.residents[0], principals=[])
    hook = app_registry.vvs_plugins.hook.vvs_alert_panels
    assert [p for a in hook(request=request, alert=alert) for p in a or []] == []


def test_dashboard_keeps_every_alert_labelled_with_severity_filters_and_markers(testapp, dbsession, mairie,
                                                                                  agent_login):
    live = _alert(dbsession, mairie, severity="severe", text="Cambrioleurs en fuite rue de Paris")
    withdrawn = _alert(dbsession, mairie, status="withdrawn", severity="minor", place=False,
                       text="Message retiré par la modération")
    held = _alert(dbsession, mairie, status="held", text="Alerte qui attend sa validation")
    agent_login(testapp, mairie)
    page = testapp.get("/mairie/77449")
    for text in ("Cambrioleurs en fuite", "Message retiré", "retirée par la modération", "Alerte qui attend",
                 "en attente de validation", "gravité : Élevée", "gravité : Faible"):
        assert text in page.text, text
    # the located alerts carry their coordinates: the page draws their markers on load
    assert page.text.count('data-lat="48.8455"') == 2
    severe = testapp.get("/mairie/77449", {"gravite": "Élevée"})
    assert "Cambrioleurs en fuite" in severe.text and "Message retiré" not in severe.text
    assert "Aucune alerte pour ces critères" in testapp.get("/mairie/77449", {"communaute": "999999"}).text or \
        "Cambrioleurs" in testapp.get("/mairie/77449", {"communaute": "999999"}).text  # unknown: ignored
    other = testapp.get("/mairie/77449", {"categorie": "cambriolage", "periode": "abc"})
    assert "Aucune alerte pour ces critères" in other.text
    items = testapp.get("/mairie/77449/activite.json", {"gravite": "Élevée"}).json["items"]
    assert [i["id"] for i in items] == [live.id] and items[0]["follow_url"].endswith(f"/signalements/{live.id}")
    assert {withdrawn.id, held.id} <= {i["id"] for i in testapp.get("/mairie/77449/activite.json").json["items"]}


def test_report_shows_acknowledgement_rate_and_median_delay(testapp, dbsession, mairie, agent_login):
    fast = _alert(dbsession, mairie, minutes_ago=20)
    slow = _alert(dbsession, mairie, minutes_ago=50)
    _alert(dbsession, mairie, minutes_ago=5)
    _alert(dbsession, mairie, status="withdrawn")  # not counted
    for alert, ago in ((fast, 10), (slow, 10)):
        dbsession.add(AlertAcknowledgement(alert_id=alert.id, commune_id=mairie.commune.id,
                                           agent_user_id=mairie.agent_user.id, at=utcnow() - timedelta(minutes=ago),
                                           alert_created_at=alert.created_at))
    dbsession.flush()
    agent_login(testapp, mairie)
    from vvs_core.web.timefmt import dates

    month = dates.month_key(utcnow())
    html = testapp.get(f"/mairie/77449/rapport/{month}").text
    assert "Prises en compte par la mairie : <strong>2</strong> (67 %)" in html
    assert "délai médian de prise en compte : <strong>25 minutes</strong>" in html  # (10 + 40) / 2
    csv = testapp.get(f"/mairie/77449/rapport/{month}.csv").body.decode("utf-8-sig")
    assert "prise en compte;taux de prise en compte (%);;67;" in csv
    assert "prise en compte;délai médian de prise en compte (minutes);;25;" in csv
    # F-monthly-report: the dashboard lists the withdrawn alert; the report says why it counts one less
    assert "Alertes des habitants : 3" in html and "Non comptée : 1 alerte retirée par la modération." in html
    assert "alertes des habitants;total;;3;" in csv
    assert "alertes des habitants;retirées par la modération;;1;" in csv and csv.count("non comptées dans le total") == 1


def test_the_monthly_report_names_the_end_of_an_alert_as_such(testapp, dbsession, mairie, agent_login):
    from vvs_mairie.models import MairieAlert
    from vvs_core.web.timefmt import dates

    first = MairieAlert(commune_id=mairie.commune.id, author_id=mairie.agent_user.id, kind="alert", category="evenement",
                        title="Mise à l’abri : « restez chez vous » 🏠", body="", target="commune", community_ids=[],
                        source="", exercise=False)
    dbsession.add(first)
    dbsession.flush()
    dbsession.add(MairieAlert(commune_id=mairie.commune.id, author_id=mairie.agent_user.id, kind="all_clear",
                              parent_id=first.id, category="evenement", title=first.title, body="", target="commune",
                              community_ids=[], source="", exercise=False))
    dbsession.flush()
    agent_login(testapp, mairie)
    month = dates.month_key(utcnow())
    html = " ".join(testapp.get(f"/mairie/77449/rapport/{month}").html.get_text().split())
    # One alert, ended: its end is part of it, not a second alert (walkstaff item 7).
    assert "Alertes de la mairie : 1" in html and "Mise à l’abri : « restez chez vous » 🏠" in html
    assert "terminée le " in html and "Fin d'alerte : Mise à l’abri" not in html
    csv = testapp.get(f"/mairie/77449/rapport/{month}.csv").body.decode("utf-8-sig")
    assert csv.count("Mise à l’abri") == 1 and "alertes de la mairie;total;;1;" in csv


def test_no_report_for_a_month_that_has_not_started(testapp, mairie, agent_login, clock):
    clock.set_local(2026, 12, 31, 23, 30)
    agent_login(testapp, mairie)
    refused = testapp.get("/mairie/77449/rapport/2099-12", status=404)
    assert "Le mois de décembre 2099 n'a pas commencé" in refused.text
    testapp.get("/mairie/77449/rapport/2027-01", status=404)
    testapp.get("/mairie/77449/rapport/2027-01.pdf", status=404)
    testapp.get("/mairie/77449/rapport/2027-01.csv", status=404)
    testapp.get("/mairie/77449/rapport/2026-12", status=200)  # the month under way, at 23:30 Paris on the 31st
    from urllib.parse import quote

    testapp.get("/mairie/77449/rapport/" + quote("２０２６-１２"), status=404)


def test_vvs_landing_url(testapp, mairie, make_user):
    """An agent lands on the mairie's space after signing in; a resident on the home page."""
    answer = testapp.login(mairie.agent_user)
    assert answer.location.endswith("/mairie")
    testapp.reset()
    assert testapp.login(mairie.residents[0]).location.endswith("/")
    testapp.reset()
    page = testapp.get("/connexion?next=/compte")
    form = page.forms["deform"]
    form["email"], form["password"] = mairie.agent_user.email, "un voisin attentif 2026"
    assert form.submit("submit").location.endswith("/compte")


def test_a_form_that_saw_an_older_reply_is_refused(testapp, dbsession, mairie, agent_login):
    """The status alone cannot tell two answers on the same status apart: the form says
    which reply it saw, and a reply written since refuses the change."""
    alert = _alert(dbsession, mairie)
    agent_login(testapp, mairie)
    url = f"/mairie/77449/signalements/{alert.id}"
    testapp.post_csrf(url, {"status": "patrouille", "reply": REPLY, "seen": "recue", "seen_reply": "0"}, status=303)
    page = testapp.get(url)
    seen_reply = re.search(r'name="seen_reply" value="(\d+)"', page.text).group(1)
    assert seen_reply != "0"
    testapp.post_csrf(url, {"status": "patrouille", "reply": "Arrivée sur place.", "seen": "patrouille",
                            "seen_reply": seen_reply}, status=303)
    stale = testapp.post_csrf(url, {"status": "patrouille", "reply": "Nous arrivons.", "seen": "patrouille",
                                    "seen_reply": seen_reply}, status=400)
    assert "Un autre agent vient de répondre à cette alerte (Agnès Marchand" in stale.text
    assert "Nous arrivons." in stale.text  # what was typed stays in the form
    assert [r.text for r in dbsession.scalars(select(AlertReply).order_by(AlertReply.id))] == [REPLY, "Arrivée sur place."]
    for bad in ("abc", "-1", "9" * 40):  # garbage is no claim: the status check alone applies
        testapp.post_csrf(url, {"status": "close", "reply": "", "seen": "patrouille", "seen_reply": bad}, status=303)
        testapp.post_csrf(url, {"status": "patrouille", "reply": "", "seen": "close", "seen_reply": bad}, status=303)


def test_the_communities_table_stacks_on_a_phone(testapp, mairie, agent_login):
    """Walk-through: at 360 px the four columns cut words in the middle. The table is
    marked stacked and every cell carries its column's name (vvs.css shows it above)."""
    agent_login(testapp, mairie)
    page = testapp.get("/mairie/77449").text
    table = re.search(r'<table class="stacked">\s*<thead><tr><th scope="col">Communauté</th>.*?</table>', page, re.S)
    cells = re.findall(r"<td\b[^>]*>", table.group(0))
    assert cells and all("data-label=" in cell for cell in cells)


def test_a_stale_form_names_the_agent_who_changed_the_status(testapp, dbsession, app_registry, mairie, agent_login,
                                                             make_user):
    """Agnès took the alert into account; Bruno then sent a patrol: Agnès's page, still at
    « prise en compte », is refused with Bruno's name and the hour of his change (not hers:
    the follow-up row keeps who acknowledged first)."""
    import pyotp

    from vvs_core.testing import VVSTestApp
    from vvs_core.web.timefmt import dates
    from vvs_mairie.testing import enrol_agent

    alert = _alert(dbsession, mairie)
    bruno = make_user(first_name="Bruno", last_name="Lefèvre-Œuvray", mobile=None)
    _agent, secret = enrol_agent(dbsession, app_registry.settings, bruno, mairie.commune)
    url = f"/mairie/77449/signalements/{alert.id}"
    agent_login(testapp, mairie)
    testapp.post_csrf(f"{url}/pris-en-compte", {}, status=303)
    other = VVSTestApp(testapp.app)
    other.login(bruno)
    other.post_csrf("/mairie/2fa", {"code": pyotp.TOTP(secret).now()}, status=303)
    other.post_csrf(url, {"status": "patrouille", "reply": "On y va 🚓", "seen": "prise_en_compte"}, status=303)
    patrol = dbsession.scalars(select(AlertReply).where(AlertReply.status == "patrouille")).one()
    stale = testapp.post_csrf(url, {"status": "close", "reply": "", "seen": "prise_en_compte"}, status=400)
    assert ("Un autre agent vient de changer le statut de cette alerte : « patrouille envoyée » "
            f"(Bruno Lefèvre-Œuvray), à {dates.time(patrol.created_at)}.") in stale.text, stale.text[:3000]


def test_a_form_that_claims_a_status_never_set_is_refused_in_french(testapp, dbsession, mairie, agent_login):
    """A hand-made form saying it saw « close » on an alert still « reçue »: a French refusal, not a 500."""
    alert = _alert(dbsession, mairie)
    agent_login(testapp, mairie)
    refused = testapp.post_csrf(f"/mairie/77449/signalements/{alert.id}",
                                {"status": "patrouille", "reply": "", "seen": "close"}, status=400)
    assert "Le statut de cette alerte est « reçue »" in refused.text and "Rien n'a été changé" in refused.text
    assert dbsession.scalars(select(AlertAcknowledgement)).all() == []


def test_the_author_reads_a_subject_that_says_what_happened(testapp, dbsession, mairie, agent_login):
    alert = _alert(dbsession, mairie)
    agent_login(testapp, mairie)
    url = f"/mairie/77449/signalements/{alert.id}"
    for seen, status in (("recue", "prise_en_compte"), ("prise_en_compte", "patrouille"), ("patrouille", "close")):
        testapp.post_csrf(url, {"status": status, "reply": "", "seen": seen}, status=303)
    titles = [n.title for n in dbsession.scalars(select(Notification).where(
        Notification.kind == "mairie_ack", Notification.channel == "email").order_by(Notification.id))]
    assert titles == ["Votre alerte a été prise en compte par la mairie de Serris",
                      "Mairie de Serris : patrouille envoyée pour votre alerte",
                      "Mairie de Serris : votre alerte est close"]
