"""A commune alert's public page (a user walk-through found commune alerts had none, so their SMS carried
no link): every SMS, e-mail and push of the alert and of its follow-ups carries the page's absolute link
(``absolute_url``); anyone opens it without an account; it says the alert, its updates and its end, in
French and Paris time, with no personal data."""
import re

from sqlalchemy import select

from vvs_core.models import Notification
from vvs_core.testing import VVSTestApp
from vvs_mairie.models import MairieAlert
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

URL = "/mairie/77449/alertes/nouvelle"
FORM = {"category": "meteo", "title": "Crue « Marne » 🌊", "body": "Montez à l’étage.\nN’utilisez pas la voiture.",
        "target": "commune", "confirm": "1"}


def test_every_message_links_to_the_public_page_that_says_when_it_ended(app, testapp, dbsession, mairie, agent_login,
                                                                       clock):
    clock.set_local(2026, 7, 14, 23, 30)
    agent_login(testapp, mairie)
    preview = testapp.post_csrf(URL, {**FORM, "confirm": ""})
    assert "http://localhost/avis/77449/1" in preview.html.find(class_="sms-preview").get_text()
    testapp.post_csrf(URL, FORM, status=303)
    alert = dbsession.scalars(select(MairieAlert)).one()
    link = f"http://localhost/avis/77449/{alert.id}"
    sent = list(dbsession.scalars(select(Notification).where(Notification.subject_type == "mairie_alert")))
    assert {r.channel for r in sent} >= {"sms", "email"}
    assert all(link in r.body for r in sent if r.channel != "voice"), [r.body for r in sent]
    sms = next(r.body for r in sent if r.channel == "sms")
    assert sms.startswith("Mairie de Serris - Crue \"Marne\"") and sms.endswith(link)

    visitor = VVSTestApp(app)  # no account: the link of an SMS forwarded to a neighbour
    page = visitor.get(f"/avis/77449/{alert.id}")
    text = " ".join(page.html.find("main").get_text().split())
    assert "Crue « Marne » 🌊" in text and "Montez à l’étage." in text and "Alerte en cours" in text
    assert "Alerte de la mairie de Serris · Météo" in text or "Alerte de la mairie de Serris" in text
    assert "Envoyée le 14/07/2026 à 23:30" in text  # Paris time
    for private in [mairie.agent_user.full_name, *(u.full_name for u in mairie.residents), "destinataire", "SMS"]:
        assert private not in text, private
    assert '<html lang="fr"' in page.text and page.html.find("h1") is not None
    # The CAP message's <web> is that public page, not the agents' own (walkstaff item 11).
    from lxml import etree

    from vvs_core.notify.cap import CAP_NS

    cap = etree.fromstring(testapp.get(f"/mairie/77449/alertes/{alert.id}.cap.xml").body)
    web = cap.findtext("cap:info/cap:web", namespaces={"cap": CAP_NS})
    assert web == link and visitor.get(web.removeprefix("http://localhost")).status_int == 200

    clock.advance(minutes=50)
    testapp.post_csrf(f"/mairie/77449/alertes/{alert.id}", {"kind": "update", "body": "L’eau monte encore."},
                      status=303)
    clock.advance(hours=3)
    testapp.post_csrf(f"/mairie/77449/alertes/{alert.id}", {"kind": "all_clear", "body": "Décrue : c’est fini."},
                      status=303)
    follow = list(dbsession.scalars(select(Notification).where(Notification.subject_type == "mairie_alert",
                                                               Notification.subject_id != alert.id)))
    assert follow and all(link in r.body for r in follow if r.channel != "voice")  # the same page
    text = " ".join(visitor.get(f"/avis/77449/{alert.id}").html.find("main").get_text().split())
    assert "Alerte terminée : fin d'alerte le 15/07/2026 à 03:20." in text
    assert text.index("Mise à jour le 15/07/2026 à 00:20") < text.index("Fin d'alerte le 15/07/2026 à 03:20")
    assert "L’eau monte encore." in text and "Décrue : c’est fini." in text
    end_id = dbsession.scalar(select(MairieAlert.id).where(MairieAlert.kind == "all_clear"))
    assert visitor.get(f"/avis/77449/{end_id}", status=303).location.endswith(f"/avis/77449/{alert.id}")


def test_unknown_or_foreign_alerts_are_not_found(app, dbsession, mairie):
    visitor = VVSTestApp(app)
    alert = MairieAlert(commune_id=mairie.commune.id, kind="alert", category="meteo", title="Orages", body="")
    dbsession.add(alert)
    dbsession.flush()
    assert "Orages" in visitor.get(f"/avis/77449/{alert.id}").text
    for path in (f"/avis/77111/{alert.id}", "/avis/77449/999999", "/avis/77449/99999999999999999999",
                 "/avis/77449/abc", "/avis/ABCDE/1"):
        visitor.get(path, status=404)
