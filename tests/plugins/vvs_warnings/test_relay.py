"""vvs_warnings end to end on the real parts: a local HTTP server serving real-format
feeds, the real parser, PostGIS or SQLite, the mairie's commune alerts through the
hooks, the outbox rows that would be sent."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from vvs_core.models.notification import Notification
from vvs_mairie.models import MairieAlert
from vvs_warnings.fetching import Feed
from vvs_warnings.models import CommuneWarningSettings, OfficialWarning, WarningRelay
from vvs_warnings.polling import poll_feed

SOURCE = "Météo-France (MeteoAlarm)"


def serve_meteoalarm(server, sample, *cap_files):
    server.files["/meteoalarm-france.atom"] = sample("meteoalarm-france.atom", base=server.base)
    server.files["/cap/orages-77.xml"] = sample(cap_files[0] if cap_files else "orages-77.xml")
    server.files["/cap/vent-29.xml"] = sample("vent-29.xml")
    return Feed("cap-atom", server.base + "/meteoalarm-france.atom", SOURCE)


def relays(dbsession):
    dbsession.flush()
    dbsession.expire_all()  # the pages changed rows through their own session
    return list(dbsession.scalars(select(WarningRelay).order_by(WarningRelay.id)))


def sent_rows(dbsession, alert_id=None):
    stmt = select(Notification).where(Notification.subject_type == "mairie_alert")
    if alert_id is not None:
        stmt = stmt.where(Notification.subject_id == alert_id)
    return list(dbsession.scalars(stmt.order_by(Notification.id)))


def test_a_departement_warning_drafts_one_alert_for_the_commune(app_request, dbsession, mairie, feed_server, sample):
    feed = serve_meteoalarm(feed_server, sample)
    counts = poll_feed(app_request, feed)
    assert counts["new"] == 2 and counts["drafts or relays"] == 1   # the Finistère's warning touches no commune here
    [relay] = relays(dbsession)
    assert (relay.state, relay.commune_id, relay.whole_commune) == ("draft", mairie.commune.id, True)
    assert relay.title == "Vigilance orange : Orages"
    assert "Ne vous abritez pas sous les arbres" in relay.body and "Du 14/07/2026 à 18:00" in relay.body
    assert sent_rows(dbsession) == []                                 # a draft sends nothing
    # The next poll reads the feed again but not the CAP documents it already knows.
    feed_server.hits.clear()
    assert poll_feed(app_request, feed) == {}
    assert feed_server.hits == ["/meteoalarm-france.atom"]


def test_the_agent_reviews_and_sends_then_the_source_updates_and_cancels(
        testapp, app_request, dbsession, mairie, agent_login, feed_server, sample):
    feed = serve_meteoalarm(feed_server, sample)
    poll_feed(app_request, feed)
    [relay] = relays(dbsession)
    agent_login(testapp, mairie)
    dashboard = testapp.get("/mairie/77449")
    assert "Avertissements officiels à relayer (1)" in dashboard.text and "Vigilance orange : Orages" in dashboard.text
    page = testapp.get(f"/avertissements/77449/{relay.id}")
    assert "environ 3 foyers" in page.text and SOURCE in page.text
    bad = testapp.post_csrf(f"/avertissements/77449/{relay.id}/envoyer", {"title": "", "body": "x" * 2001}, status=400)
    assert "Indiquez un titre." in bad.text and "2000 caractères" in bad.text
    assert relays(dbsession)[0].state == "draft" and sent_rows(dbsession) == []
    done = testapp.post_csrf(f"/avertissements/77449/{relay.id}/envoyer",
                             {"title": relay.title, "body": relay.body + "\n\nLa mairie reste joignable au 01 60 43 00 00."},
                             status=303)
    alert = dbsession.scalars(select(MairieAlert)).one()
    assert done.location.endswith(f"/mairie/77449/alertes/{alert.id}")
    assert (alert.source, alert.author_id, alert.target) == (SOURCE, mairie.agent_user.id, "commune")
    rows = sent_rows(dbsession, alert.id)
    assert {r.recipient_id for r in rows} == {u.id for u in mairie.residents}
    sms = [r.body for r in rows if r.channel == "sms"]
    assert sms and all(b.startswith("Mairie de Serris - Vigilance orange : Orages") for b in sms)
    assert all(b.endswith(f"(source : {SOURCE})") for b in sms), sms
    assert all(f"Source : {SOURCE}." in r.body for r in rows if r.channel == "email")
    assert f"Source : {SOURCE}" in testapp.get(done.location).text
    assert relays(dbsession)[0].state == "sent"

    # The source raises the warning to red: the same people get the update.
    feed_server.files["/meteoalarm-france.atom"] = sample("meteoalarm-france.atom", base=feed_server.base).replace(
        b"/cap/orages-77.xml", b"/cap/orages-77-update.xml").replace(b"20260714140000.ORAGES77", b"20260714180000.ORAGES77")
    feed_server.files["/cap/orages-77-update.xml"] = sample("orages-77-update.xml")
    assert poll_feed(app_request, feed)["updated"] == 1
    update = dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id)).one()
    assert update.kind == "update" and "orages violents et durables" in update.body
    assert {r.recipient_id for r in sent_rows(dbsession, update.id)} == {u.id for u in mairie.residents}

    # Then cancels it (hours later, the messages long sent: an end cancels what is unsent):
    # the all-clear goes out and the relay ends.
    from sqlalchemy import update as sql_update

    dbsession.execute(sql_update(Notification).where(Notification.subject_type == "mairie_alert",
                                                     Notification.status == "pending").values(status="sent"))
    feed_server.files["/meteoalarm-france.atom"] = feed_server.files["/meteoalarm-france.atom"].replace(
        b"/cap/orages-77-update.xml", b"/cap/orages-77-cancel.xml").replace(b"20260714180000.ORAGES77", b"20260714230000.ORAGES77")
    feed_server.files["/cap/orages-77-cancel.xml"] = sample("orages-77-cancel.xml")
    assert poll_feed(app_request, feed)["cancelled"] == 1
    end = dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id, MairieAlert.kind == "all_clear")).one()
    assert "annulé par la source" in end.body and end.source == SOURCE
    assert relays(dbsession)[0].state == "ended"
    assert any(b.startswith("Mairie de Serris - Fin d'alerte : ") for b in (r.body for r in sent_rows(dbsession, end.id)
                                                                           if r.channel == "sms"))
    # A cancellation read again changes nothing.
    before = len(sent_rows(dbsession))
    poll_feed(app_request, feed)
    assert len(sent_rows(dbsession)) == before


def test_a_cancellation_withdraws_a_draft_nobody_sent(app_request, dbsession, mairie, feed_server, sample):
    feed = serve_meteoalarm(feed_server, sample)
    poll_feed(app_request, feed)
    feed_server.files["/meteoalarm-france.atom"] = feed_server.files["/meteoalarm-france.atom"].replace(
        b"/cap/orages-77.xml", b"/cap/orages-77-cancel.xml").replace(b"20260714140000.ORAGES77", b"20260714230000.ORAGES77")
    feed_server.files["/cap/orages-77-cancel.xml"] = sample("orages-77-cancel.xml")
    poll_feed(app_request, feed)
    assert relays(dbsession)[0].state == "withdrawn" and sent_rows(dbsession) == []


def test_automatic_relay_sends_without_an_agent(app_request, dbsession, mairie, feed_server, sample):
    dbsession.add(CommuneWarningSettings(commune_id=mairie.commune.id, threshold="Severe", automatic=True))
    poll_feed(app_request, serve_meteoalarm(feed_server, sample))
    [relay] = relays(dbsession)
    alert = dbsession.get(MairieAlert, relay.alert_id)
    assert relay.state == "sent" and relay.automatic and alert.author_id is None and alert.source == SOURCE
    assert len(sent_rows(dbsession, alert.id)) == 2 * len(mairie.residents)


def test_below_the_communes_threshold_nothing_is_drafted(app_request, dbsession, mairie, feed_server, sample):
    dbsession.add(CommuneWarningSettings(commune_id=mairie.commune.id, threshold="Extreme", automatic=True))
    poll_feed(app_request, serve_meteoalarm(feed_server, sample))
    assert relays(dbsession) == [] and sent_rows(dbsession) == []


def test_a_polygon_warning_reaches_the_part_of_the_commune_it_covers(app_request, dbsession, mairie, feed_server, sample):
    # A square of about 60 m around the first resident's home, inside the community.
    polygon = "48.8450,2.7858 48.8456,2.7858 48.8456,2.7864 48.8450,2.7864 48.8450,2.7858"
    feed_server.files["/gaz.atom"] = sample("polygon-embedded.atom", polygon=polygon)
    poll_feed(app_request, Feed("cap-atom", feed_server.base + "/gaz.atom", "Préfecture de Seine-et-Marne"))
    [relay] = relays(dbsession)
    assert not relay.whole_commune and relay.area.area < 1e-6 and relay.title == "Vigilance rouge : Fuite de gaz"
    far = "47.0,0.5 47.1,0.5 47.1,0.6 47.0,0.6 47.0,0.5"
    feed_server.files["/loin.atom"] = sample("polygon-embedded.atom", polygon=far).replace(b"gaz</identifier>", b"loin</identifier>")
    poll_feed(app_request, Feed("cap-atom", feed_server.base + "/loin.atom", "Préfecture d'Indre-et-Loire"))
    assert len(relays(dbsession)) == 1


def test_vigicrues_levels_draft_update_and_end(app_request, dbsession, mairie, feed_server, sample):
    dbsession.add(CommuneWarningSettings(commune_id=mairie.commune.id, threshold="Severe", automatic=True))
    feed = Feed("vigicrues-geojson", feed_server.base + "/InfoVigiCru.geojson", "Vigicrues")
    feed_server.files["/InfoVigiCru.geojson"] = sample("vigicrues.geojson", level=3)
    poll_feed(app_request, feed)
    [relay] = relays(dbsession)
    assert relay.state == "sent" and relay.title == "Vigilance orange : crues, Marne francilienne"
    feed_server.files["/InfoVigiCru.geojson"] = sample("vigicrues.geojson", level=4)
    assert poll_feed(app_request, feed)["updated"] == 1
    feed_server.files["/InfoVigiCru.geojson"] = sample("vigicrues.geojson", level=1)
    assert poll_feed(app_request, feed)["cancelled"] == 1     # the Marne's section (the Loire's stays orange)
    assert relays(dbsession)[0].state == "ended"
    kinds = [a.kind for a in dbsession.scalars(select(MairieAlert).order_by(MairieAlert.id))]
    assert kinds == ["alert", "update", "all_clear"]


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><feed xmlns="http://www.w3.org/2005/Atom">&lol2;</feed>"""


def _endless(handler):
    """50 MB without a Content-Length: the reader must stop by itself."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/atom+xml")
    handler.end_headers()
    try:
        handler.wfile.write(b"<feed xmlns='http://www.w3.org/2005/Atom'>")
        for _ in range(50 * 16):
            handler.wfile.write(b" " * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.mark.parametrize("served, reason", [
    (BILLION_LAUGHS, "DOCTYPE or an entity"),
    (_endless, "above the limit"),
    (b"<feed><entry>", "not well-formed"),
    (None, "unreachable"),
], ids=["billion-laughs", "50-mb", "malformed", "404"])
def test_a_hostile_or_broken_feed_is_one_log_line_and_nothing_sent(
        app_request, dbsession, mairie, feed_server, caplog, served, reason):
    if served is not None:
        feed_server.files["/feed.atom"] = served
    with caplog.at_level(logging.WARNING, logger="vvs_warnings"):
        answer = poll_feed(app_request, Feed("cap-atom", feed_server.base + "/feed.atom", "Source hostile"))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("vvs_warnings")]
    assert len(lines) == 1 and reason in lines[0] and "refused" in answer
    assert dbsession.scalar(select(func.count()).select_from(OfficialWarning)) == 0
    assert sent_rows(dbsession) == []


def test_a_hostile_linked_cap_document_is_skipped_and_the_others_read(
        app_request, dbsession, mairie, feed_server, sample, caplog):
    feed = serve_meteoalarm(feed_server, sample)
    feed_server.files["/cap/orages-77.xml"] = BILLION_LAUGHS
    with caplog.at_level(logging.WARNING, logger="vvs_warnings"):
        counts = poll_feed(app_request, feed)
    assert counts["new"] == 1 and relays(dbsession) == []
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()][0].startswith(
        "warnings: CAP document http://127.0.0.1")


def test_settings_page_refuses_a_bad_threshold_and_saves_a_good_one(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    assert "Vigilance orange et au-dessus" in testapp.get("/avertissements/77449/reglages").text
    bad = testapp.post_csrf("/avertissements/77449/reglages", {"threshold": "Violet"}, status=400)
    assert "Choisissez à partir de quelle vigilance" in bad.text
    assert dbsession.get(CommuneWarningSettings, mairie.commune.id) is None
    testapp.post_csrf("/avertissements/77449/reglages", {"threshold": "Moderate", "automatic": "1"}, status=303)
    row = dbsession.get(CommuneWarningSettings, mairie.commune.id)
    assert (row.threshold, row.automatic, row.updated_by_id) == ("Moderate", True, mairie.agent_user.id)


def test_dismissing_a_draft(testapp, app_request, dbsession, mairie, agent_login, feed_server, sample):
    poll_feed(app_request, serve_meteoalarm(feed_server, sample))
    [relay] = relays(dbsession)
    agent_login(testapp, mairie)
    testapp.post_csrf(f"/avertissements/77449/{relay.id}/ecarter", {}, status=303)
    assert relays(dbsession)[0].state == "dismissed"
    again = testapp.post_csrf(f"/avertissements/77449/{relay.id}/envoyer", {"title": "x", "body": "y"}, status=303)
    assert sent_rows(dbsession) == [] and again.location.endswith(f"/avertissements/77449/{relay.id}")


# --- Issue 14.3: the agent's forms read through colander schemas (read_fields): hostile
# input answers a French message beside its field, changes nothing, never a 500; what
# people really type (« » ’, accents, emoji) is kept intact.

KEPT = "Orages « violents » sur l’est de la commune ⛈️ : évitez les déplacements 🚗."


def test_a_draft_refuses_hostile_fields_and_sends_real_text(
        testapp, app_request, dbsession, mairie, agent_login, feed_server, sample):
    poll_feed(app_request, serve_meteoalarm(feed_server, sample))
    [relay] = relays(dbsession)
    title = relay.title
    agent_login(testapp, mairie)
    url = f"/avertissements/77449/{relay.id}/envoyer"
    for fields, expected in [
        ({"title": "   ", "body": KEPT}, "Indiquez un titre."),
        ({"title": "x" * 141, "body": KEPT}, "Le titre doit tenir en 140 caractères."),
        ({"title": "Orages", "body": " \n "}, "Le message ne peut pas être vide."),
        ({"title": "Orages", "body": "x" * 20000}, "Le message doit tenir en 2000 caractères."),
        ({"title": "Orages\x00", "body": KEPT}, "caractères de contrôle invisibles"),
        ({"title": "Orages", "body": "Texte \x1b[31m rouge"}, "caractères de contrôle invisibles"),
    ]:
        page = testapp.post_csrf(url, fields, status=400)
        assert expected in page.text
        assert relays(dbsession)[0].state == "draft" and relays(dbsession)[0].title == title
    # A file in place of the title counts as an empty field.
    page = testapp.post(url, {"csrf_token": testapp.csrf(), "body": KEPT},
                        upload_files=[("title", "titre.txt", b"Orages")], status=400)
    assert "Indiquez un titre." in page.text and sent_rows(dbsession) == []
    testapp.post_csrf(url, {"title": "  Vigilance orange ⛈️  ", "body": KEPT}, status=303)
    sent = relays(dbsession)[0]
    assert (sent.state, sent.title, sent.body) == ("sent", "Vigilance orange ⛈️", KEPT)


def test_the_settings_refuse_hostile_thresholds(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    url = "/avertissements/77449/reglages"
    for threshold in ("", "Violet", "x" * 20000, "Moderate\x00"):
        page = testapp.post_csrf(url, {"threshold": threshold, "automatic": "1"}, status=400)
        assert "Choisissez à partir de quelle vigilance la mairie est prévenue." in page.text
    page = testapp.post(url, {"csrf_token": testapp.csrf()}, upload_files=[("threshold", "s.txt", b"Moderate")],
                        status=400)
    assert "Choisissez à partir de quelle vigilance" in page.text
    assert dbsession.get(CommuneWarningSettings, mairie.commune.id) is None
    testapp.post_csrf(url, {"threshold": " Extreme ", "automatic": "oui"}, status=303)
    dbsession.expire_all()
    row = dbsession.scalars(select(CommuneWarningSettings)).one()
    assert (row.threshold, row.automatic) == ("Extreme", False)


# --- The hooks vvs_warnings declares, answered by vvs_mairie ------------------------------

def test_vvs_relay_commune_alert(app_request, dbsession, mairie):
    hook = app_request.registry.vvs_plugins.hook
    answer = hook.vvs_relay_commune_alert(request=app_request, commune=mairie.commune, author=None, alert={
        "title": "Vigilance rouge : canicule", "body": "Buvez de l'eau.", "category": "meteo",
        "source": "Météo-France", "whole_commune": True, "area": None})
    alert = dbsession.get(MairieAlert, answer["id"])
    assert alert.source == "Météo-France" and answer["url"] == f"/mairie/77449/alertes/{alert.id}"
    assert "foyers" in answer["reach"]
    mairie.mairie.subscribed = False
    assert hook.vvs_relay_commune_alert(request=app_request, commune=mairie.commune, author=None, alert={
        "title": "t", "body": "", "category": "meteo", "source": "s", "whole_commune": True, "area": None}) is None


def test_vvs_follow_commune_alert(app_request, dbsession, mairie):
    hook = app_request.registry.vvs_plugins.hook
    answer = hook.vvs_relay_commune_alert(request=app_request, commune=mairie.commune, author=None, alert={
        "title": "Vigilance orange : orages", "body": "", "category": "meteo", "source": "Météo-France",
        "whole_commune": True, "area": None})
    follow = dict(request=app_request, commune=mairie.commune, alert_id=answer["id"], author=None)
    assert hook.vvs_follow_commune_alert(kind="update", body="Passage en rouge.", **follow) is True
    assert hook.vvs_follow_commune_alert(kind="all_clear", body="Fin.", **follow) is True
    assert hook.vvs_follow_commune_alert(kind="update", body="Trop tard.", **follow) is False
    assert hook.vvs_follow_commune_alert(request=app_request, commune=mairie.commune, alert_id=999999, author=None,
                                         kind="update", body="?") is None


def test_vvs_estimate_commune_alert(app_request, mairie):
    from shapely.geometry import box

    hook = app_request.registry.vvs_plugins.hook
    home = mairie.residents[0].home
    part = box(home.x - 0.0001, home.y - 0.0001, home.x + 0.0001, home.y + 0.0001)
    text = hook.vvs_estimate_commune_alert(request=app_request, commune=mairie.commune, alert={
        "title": "t", "body": "", "category": "meteo", "source": "s", "whole_commune": False, "area": part})
    assert text.startswith("environ 1 foyer")


def test_an_agents_personal_data_export_and_erasure(app_request, dbsession, mairie, feed_server, sample):
    hook = app_request.registry.vvs_plugins.hook
    poll_feed(app_request, serve_meteoalarm(feed_server, sample))
    [relay] = relays(dbsession)
    relay.sent_by_id, relay.state = mairie.agent_user.id, "dismissed"
    dbsession.add(CommuneWarningSettings(commune_id=mairie.commune.id, threshold="Moderate",
                                         updated_by_id=mairie.agent_user.id))
    dbsession.flush()
    exported = [a for a in hook.vvs_export_user_data(request=app_request, user=mairie.agent_user)
                if "Avertissements officiels" in a][0]["Avertissements officiels"]
    assert exported[0]["avertissement"] == "Vigilance orange : Orages" and exported[1]["seuil"] == "Vigilance jaune et au-dessus"
    assert exported[1]["réglage de la commune"] == mairie.commune.name  # its name, not its number
    hook.vvs_erase_user_data(request=app_request, user=mairie.agent_user)
    dbsession.expire_all()
    assert relays(dbsession)[0].sent_by_id is None
    assert dbsession.get(CommuneWarningSettings, mairie.commune.id).updated_by_id is None


def test_two_overlapping_polls_never_apply_a_feed_twice(app_request, dbsession, engine, mairie, feed_server, sample):
    """The periodic task may start again while a slow poll still runs: on PostgreSQL the
    second one finds the feed's advisory lock taken and skips; on SQLite the task's
    BEGIN IMMEDIATE serialises them."""
    import hashlib

    from sqlalchemy import text

    from vvs_warnings.polling import apply, gather, known_keys

    feed = serve_meteoalarm(feed_server, sample)
    gathered = gather(app_request.registry.settings, feed, lambda keys: known_keys(dbsession, keys))
    if engine.dialect.name != "postgresql":
        assert apply(app_request, feed, gathered)["new"] == 2
        return
    key = int.from_bytes(hashlib.sha256(f"vvs_warnings:{feed.url}".encode()).digest()[:8], "big", signed=True)
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            assert apply(app_request, feed, gathered) == {"skipped": 1}
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    assert apply(app_request, feed, gathered)["new"] == 2
    assert relays(dbsession)[0].state == "draft"
