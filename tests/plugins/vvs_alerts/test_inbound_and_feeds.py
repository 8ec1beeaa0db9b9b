"""Alerts by SMS, CAP 1.2, the Atom feed with its token, anonymisation, GDPR."""
from datetime import timedelta
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select

from alerts_testing import commit_hooks
from vvs_alerts.models import Alert, AlertUpdate
from vvs_core.clock import utcnow
from vvs_core.hooktypes import InboundSMS
from vvs_core.models import Notification
from vvs_core.testing import run_tasks

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("CAP-v1.2.xsd"))))
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def _sms(sender, text="Cambrioleurs vus rue des Glycines, voiture noire", provider_id="m-1"):
    return InboundSMS(sender=sender, text=text, provider="ovh", provider_id=provider_id)


def test_vvs_inbound_sms(app, dbsession, alert_request, make_user, make_community):
    hook = app.registry.vvs_plugins.hook.vvs_inbound_sms
    author = make_user(mobile="+33639980001")
    community = make_community(members=[author, make_user(), make_user()])
    reply = hook(request=alert_request, message=_sms("+33639980001"))
    assert reply == "Alerte envoyée à 2 voisins. En cas d'urgence, appelez le 17."
    alert = dbsession.scalars(select(Alert)).one()
    assert (alert.source, alert.community_id, alert.author_id, alert.idempotency_key) == (
        "sms", community.id, author.id, "sms:ovh:m-1")
    assert hook(request=alert_request, message=_sms("+33639980001")) == reply  # replayed callback
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 1
    commit_hooks(alert_request)
    run_tasks()
    sms = dbsession.scalars(select(Notification).where(Notification.channel == "sms")).all()
    assert len(sms) == 2 and all("appelez le 17" in n.body for n in sms)
    assert hook(request=alert_request, message=_sms("+33639989999", provider_id="m-2")).startswith("Numéro inconnu")
    pending = make_user(mobile="+33639980002")
    make_community(name="Autre", centre=(2.80, 48.85), members=[])
    assert "aucune communauté" in hook(request=alert_request, message=_sms("+33639980002", provider_id="m-3"))
    pending.status = "suspended"
    assert "pas actif" in hook(request=alert_request, message=_sms("+33639980002", provider_id="m-4"))
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 1


def test_cap_validates_against_the_oasis_schema(testapp, dbsession, alert_request, post, make_user, make_community):
    from shapely.geometry import Point

    from vvs_alerts.feeds import cap_alert
    from vvs_alerts.lifecycle import post_update

    author = make_user()
    community = make_community(members=[author])
    alert = post(author, community, place=Point(2.7861, 48.8453), severity="severe")
    registry = alert_request.registry
    doc = cap_alert(registry, alert, community)
    XSD.assertValid(doc)
    assert doc.findtext(f"{CAP}msgType") == "Alert" and doc.findtext(f"{CAP}scope") == "Restricted"
    assert not doc.findtext(f"{CAP}sent").endswith("Z") and doc.findtext(f"{CAP}sent")[-6] in "+-"
    info = doc.find(f"{CAP}info")
    assert info.findtext(f"{CAP}language") == "fr-FR" and info.findtext(f"{CAP}category") == "Security"
    assert info.findtext(f"{CAP}severity") == "Severe" and "appelez le 17" in info.findtext(f"{CAP}instruction")
    first = info.find(f"{CAP}area").findtext(f"{CAP}polygon").split()[0]
    lat, lon = map(float, first.split(","))
    assert 48 < lat < 49 and 2 < lon < 3  # lat,lon order
    post_update(alert_request, alert, author, "all_clear", "")
    dbsession.refresh(alert)
    update = cap_alert(registry, alert, community)
    XSD.assertValid(update)
    assert update.findtext(f"{CAP}msgType") == "Update" and update.findtext(f"{CAP}references")
    alert.status = "withdrawn"
    cancel = cap_alert(registry, alert, community)
    XSD.assertValid(cancel)
    assert cancel.findtext(f"{CAP}msgType") == "Cancel"
    testapp.login(author)
    alert.status = "published"
    dbsession.flush()
    served = testapp.get(f"/alertes/{alert.id}.cap.xml")
    assert served.content_type == "application/cap+xml"
    XSD.assertValid(etree.fromstring(served.body))


def test_atom_feed_with_a_revocable_token(testapp, dbsession, post, make_user, make_community):
    member = make_user()
    community = make_community(members=[member])
    post(member, community, text="Fenêtre ouverte au 3 allée des Sorbiers, les voisins sont en vacances.")
    testapp.login(member)
    page = testapp.post_csrf(f"/alertes/communaute/{community.id}/flux")
    atom_url = page.html.find(id="feed-atom")["value"]
    cap_url = page.html.find(id="feed-cap")["value"]
    path = atom_url.replace("http://localhost", "")
    feed = testapp.get(path)
    assert feed.content_type == "application/atom+xml"
    root = etree.fromstring(feed.body)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1 and "Fenêtre ouverte" in etree.tostring(entries[0], encoding="unicode")
    cap_feed = etree.fromstring(testapp.get(cap_url.replace("http://localhost", "")).body)
    for alert in cap_feed.iter(f"{CAP}alert"):
        XSD.assertValid(etree.ElementTree(alert))
    testapp.get(path.replace(path.rsplit("/", 1)[1], "faux.atom"), status=404)
    testapp.post_csrf(f"/alertes/communaute/{community.id}/flux/revoquer")
    testapp.get(path, status=404)


def test_anonymisation_after_the_retention_period(dbsession, alert_request, post, make_user, make_community):
    from shapely.geometry import Point

    from vvs_alerts.retention import anonymise_old_alerts

    author = make_user()
    community = make_community(members=[author])
    old = post(author, community, text="Homme en scooter rouge, plaque AA-000-AA", place=Point(2.786, 48.845))
    dbsession.add(AlertUpdate(alert_id=old.id, author_id=author.id, kind="update", text="plaque AA-000-AA"))
    recent = post(author, community)
    old.created_at = utcnow() - timedelta(days=400)
    dbsession.flush()
    assert anonymise_old_alerts(dbsession, 365) == 1
    dbsession.refresh(old)
    assert "AA-000-AA" not in old.text and old.place is None and old.anonymised_at is not None
    assert old.author_id == author.id and old.category == "reperage"
    assert dbsession.scalars(select(AlertUpdate)).one().text == ""
    dbsession.refresh(recent)
    assert recent.anonymised_at is None


def test_vvs_export_and_erase_user_data(app, dbsession, alert_request, post, make_user, make_community):
    hook = app.registry.vvs_plugins.hook
    author = make_user()
    community = make_community(members=[author])
    alert = post(author, community, text="Démarcheur insistant au 8 rue des Charmettes.")
    exported = [d for d in hook.vvs_export_user_data(request=alert_request, user=author) if "Alertes" in (d or {})]
    launched = exported[0]["Alertes"]["alertes lancées"][0]
    assert launched["texte"].startswith("Démarcheur")
    # French words and Paris time, as the rest of « Mes données » (walk-through)
    assert launched["statut"] == "en cours" and launched["catégorie"] != alert.category
    assert launched["date"].endswith(("+01:00", "+02:00"))
    hook.vvs_erase_user_data(request=alert_request, user=author)
    dbsession.refresh(alert)
    assert alert.author_id is None and alert.text.startswith("Démarcheur")
    from vvs_alerts.texts import author_name
    assert author_name(alert.author) == "ancien membre"


def test_a_resident_who_answers_stop_sends_no_alert_and_is_told_how_to_stop(app, dbsession, alert_request, make_user,
                                                                              make_community):
    """« STOP » in answer to an alert SMS went out to every neighbour as an alert « STOP »: it
    sends nothing, and the answer says where the SMS are switched off."""
    hook = app.registry.vvs_plugins.hook.vvs_inbound_sms
    resident = make_user(mobile="+33639980001")
    make_community(members=[resident, make_user(), make_user()])
    for n, text in enumerate(("STOP", " Stop. ", "ARRÊT")):
        reply = hook(request=alert_request, message=_sms("+33639980001", text=text, provider_id=f"s-{n}"))
        assert reply.startswith("Aucune alerte n'est envoyée.") and "/parametres/notifications" in reply, reply
    assert dbsession.scalar(select(func.count()).select_from(Alert)) == 0
    # a real alert that begins with « Stop » still goes out
    reply = hook(request=alert_request, message=_sms("+33639980001", text="Stop aux démarcheurs : deux hommes rue des Lilas",
                                                     provider_id="s-9"))
    assert reply.startswith("Alerte envoyée")


def test_a_restored_alert_is_a_new_cap_message_that_references_its_cancel(testapp, dbsession, alert_request, post,
                                                                           make_user, make_community):
    """« Rétablir l'alerte » after « Retirer »: CAP 1.2 forbids reusing an identifier, and a
    consumer that took the Cancel drops a message with the first one's. The withdrawal is a
    Cancel sent when it was decided (the same on every read), the restoring a new Alert that
    references the first message and the Cancel (an Update of a cancelled message does not bring
    it back: vvs_warnings, a CAP consumer, keeps it cancelled), and what follows refers to it; the
    Atom entry keeps its id, one per alert, and its « updated » moves to the restoring."""
    from vvs_alerts.feeds import cap_alert
    from vvs_alerts.lifecycle import post_update
    from vvs_alerts.moderation import moderate
    from vvs_warnings.documents import read_cap_alert

    author, moderator = make_user(first_name="Hélène"), make_user(is_moderator=True)
    community = make_community(members=[author])
    alert = post(author, community, text="Voiture « suspecte » garée rue de l’Église 🚗")
    registry = alert_request.registry
    first = cap_alert(registry, alert, community)
    ids = lambda doc: doc.findtext(f"{CAP}identifier")  # noqa: E731
    moderate(alert_request, alert, moderator, "withdraw", "Doublon d’une autre alerte")
    cancel = cap_alert(registry, alert, community)
    XSD.assertValid(cancel)
    assert cancel.findtext(f"{CAP}msgType") == "Cancel"
    assert etree.tostring(cap_alert(registry, alert, community)) == etree.tostring(cancel)  # the same on every read
    assert ids(first) in cancel.findtext(f"{CAP}references")
    assert "suspecte" not in etree.tostring(cancel, encoding="unicode")  # the words withdrawn are not sent again
    testapp.login(author)
    page = testapp.post_csrf(f"/alertes/communaute/{community.id}/flux")
    atom_url, cap_url = (page.html.find(id=f"feed-{name}")["value"].replace("http://localhost", "") for name in ("atom", "cap"))
    assert b"<entry>" not in testapp.get(atom_url).body and "suspecte" not in testapp.get(atom_url).text
    [told] = etree.fromstring(testapp.get(cap_url).body).iter(f"{CAP}alert")  # a CAP consumer learns of it
    assert ids(told) == ids(cancel) and told.findtext(f"{CAP}msgType") == "Cancel"
    moderate(alert_request, alert, moderator, "restore", "Retrait par erreur : ce n’est pas un doublon.")
    restored = cap_alert(registry, alert, community)
    XSD.assertValid(restored)
    assert restored.findtext(f"{CAP}msgType") == "Alert"
    assert ids(restored) not in (ids(first), ids(cancel))
    read = read_cap_alert(restored)  # as a consumer reads it: a new alert, its thread named
    assert read.msg_type == "Alert" and read.key.endswith(ids(restored)) and len(read.references) == 2
    references = restored.findtext(f"{CAP}references").split()
    assert [r.split(",")[1] for r in references] == [ids(first), ids(cancel)]
    assert restored.find(f"{CAP}info").findtext(f"{CAP}urgency") != "Past"
    for url, with_cap in ((atom_url, False), (cap_url, True)):
        feed = etree.fromstring(testapp.get(url).body)
        entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
        entry_ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries]
        assert len(entry_ids) == len(set(entry_ids)) == 1
        updated = entries[0].findtext("{http://www.w3.org/2005/Atom}updated")
        assert updated == restored.findtext(f"{CAP}sent")[:19] + updated[19:]  # the restoring's moment
        if with_cap:
            [inside] = feed.iter(f"{CAP}alert")
            assert ids(inside) == ids(restored) and inside.findtext(f"{CAP}msgType") == "Alert"
    post_update(alert_request, alert, author, "update", "Elle est repartie vers la gare.")
    dbsession.refresh(alert)
    after = cap_alert(registry, alert, community)
    XSD.assertValid(after)
    assert after.findtext(f"{CAP}msgType") == "Update"
    assert [r.split(",")[1] for r in after.findtext(f"{CAP}references").split()] == [ids(restored)]
