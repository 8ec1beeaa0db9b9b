"""An action at 23:30 Paris time reads « 23:30 », on the right day, everywhere.

Summer (CEST, UTC+2) and winter (CET, UTC+1; 31 December, still 31 December in Paris
while UTC is at 22:30). The clock is stopped with the ``clock`` fixture, never slept on.
Pages (lists, detail, home, moderation, mairie dashboard and its live feed), e-mails
(.eml written by the folder provider), the Atom feed, CAP 1.2, the gazette's iCalendar
and the mairie's monthly report (HTML, PDF, CSV), the gazette's weekly digest. KYC: tests/plugins/vvs_kyc.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from lxml import etree

from vvs_core.testing import mail_text, pdf_text, read_mails, run_tasks
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Moment:
    year: int
    month: int
    day: int
    offset: str

    @property
    def date(self) -> str:           # 14/07/2026
        return f"{self.day:02d}/{self.month:02d}/{self.year}"

    @property
    def full(self) -> str:           # 14/07/2026 à 23:30
        return f"{self.date} à 23:30"

    @property
    def short(self) -> str:          # 14/07 23:30
        return f"{self.date[:5]} 23:30"

    @property
    def iso(self) -> str:            # 2026-07-14T23:30:00+02:00
        return f"{self.year}-{self.month:02d}-{self.day:02d}T23:30:00{self.offset}"

    @property
    def typed(self) -> str:          # what a datetime-local field sends
        return f"{self.year}-{self.month:02d}-{self.day:02d}T23:30"


@pytest.fixture(params=[Moment(2026, 7, 14, "+02:00"), Moment(2026, 12, 31, "+01:00")], ids=["summer", "winter"])
def at_2330(request, clock):
    moment = request.param
    clock.set_local(moment.year, moment.month, moment.day, 23, 30)
    return moment


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.text)


def _switch(testapp, user):
    testapp.reset()
    testapp.wsgi.registry["vvs.ratelimit_store"] = None
    testapp.login(user)


def _mails_to(app, address, needle):
    return [mail_text(m) for m in read_mails(app.registry.settings["vvs.email.folder"])
            if m["To"] == address and needle in mail_text(m)]


def test_a_residents_alert_at_2330(testapp, app, dbsession, make_user, mairie, agent_login, at_2330):  # noqa: F811
    author, neighbour, *_ = mairie.residents
    moderator = make_user(is_moderator=True)
    text = "Deux hommes essaient les poignées des voitures, rue de l'Église — « capuche grise »."

    _switch(testapp, author)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "autre"
    form["text"] = text
    url = form.submit("submit").location
    alert_id = int(url.rsplit("/", 1)[1])
    assert at_2330.full in _text(testapp.get(url))                                          # detail
    assert at_2330.full in _text(testapp.get(f"/alertes/communaute/{mairie.community.id}"))  # list
    assert at_2330.full in _text(testapp.get("/"))                                          # home

    cap = etree.fromstring(testapp.get(f"/alertes/{alert_id}.cap.xml").body)
    assert cap.findtext(f"{CAP}sent") == at_2330.iso
    assert cap.find(f"{CAP}info").findtext(f"{CAP}effective") == at_2330.iso
    feeds = testapp.post_csrf(f"/alertes/communaute/{mairie.community.id}/flux")
    atom = etree.fromstring(testapp.get(feeds.html.find(id="feed-atom")["value"].replace("http://localhost", "")).body)
    entry = atom.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}published") == at_2330.iso and at_2330.full in entry.findtext(f"{ATOM}title")

    run_tasks()
    [mail] = _mails_to(app, neighbour.email, "capuche grise")
    assert f"le {at_2330.full}" in mail

    _switch(testapp, neighbour)
    testapp.post_csrf(f"/alertes/{alert_id}/signaler", {"reason": "Décrit des personnes plutôt que des faits."})
    _switch(testapp, moderator)
    queue = _text(testapp.get("/alertes/moderation"))
    assert "capuche grise" in queue and at_2330.full in queue                                # moderation

    testapp.reset()
    agent_login(testapp, mairie)
    dashboard = _text(testapp.get("/mairie/77449"))
    assert "capuche grise" in dashboard or "poignées" in dashboard
    assert at_2330.short in dashboard                                                        # mairie dashboard
    [item] = [i for i in testapp.get("/mairie/77449/activite.json").json["items"] if i["id"] == alert_id]
    assert item["when"] == at_2330.short                                                     # live feed (JS shows it)


def test_a_mairie_alert_at_2330_and_its_monthly_report(testapp, app, dbsession, mairie, agent_login, at_2330):  # noqa: F811
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Orages violents cette nuit", "body": "Rentrez les objets des balcons.",
            "target": "communities", "communities": str(mairie.community.id), "confirm": "1"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).follow()
    assert f"Envoyée le {at_2330.full}" in _text(page)
    assert at_2330.short in _text(testapp.get("/mairie/77449"))
    month = f"{at_2330.year}-{at_2330.month:02d}"
    csv = testapp.get(f"/mairie/77449/rapport/{month}.csv").body.decode("utf-8-sig")
    assert f"alertes de la mairie;Météo · Orages violents cette nuit;{at_2330.date} 23:30:00;1;" in csv
    pdf = testapp.get(f"/mairie/77449/rapport/{month}.pdf").body
    assert pdf.startswith(b"%PDF") and at_2330.short in pdf_text(pdf)
    run_tasks()
    [mail] = _mails_to(app, mairie.residents[0].email, "Rentrez les objets")
    assert f"Mairie de Serris, le {at_2330.full}" in mail


def test_the_monthly_report_counts_by_the_communes_month(testapp, dbsession, mairie, agent_login, clock):  # noqa: F811
    """00:30 on 1 January in Paris is 23:30 on 31 December in UTC: the alert belongs to January."""
    clock.set_local(2027, 1, 1, 0, 30)
    agent_login(testapp, mairie)
    form = {"category": "meteo", "title": "Verglas au petit matin", "body": "Prudence sur la route.",
            "target": "communities", "communities": str(mairie.community.id), "confirm": "1"}
    testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303)
    january = testapp.get("/mairie/77449/rapport/2027-01.csv").body.decode("utf-8-sig")
    december = testapp.get("/mairie/77449/rapport/2026-12.csv").body.decode("utf-8-sig")
    assert ";01/01/2027 00:30:00;1;" in january and "Verglas" in january and "Verglas" not in december
    assert "janvier 2027" in january


def test_a_gazette_event_at_2330(testapp, app, dbsession, mairie, at_2330):  # noqa: F811
    from vvs_gazette.calendar import feed_token
    from vvs_gazette.models import GazettePost

    author = mairie.residents[0]
    community = mairie.community
    base = f"/gazette/communaute/{community.id}"
    _switch(testapp, author)
    form = testapp.get(base + "/ajouter").forms["gazette-post"]
    form["category"] = "evenement"
    form["title"] = "Veillée « étoiles filantes » à l'étang"
    form["text"] = "Apportez une couverture ; chocolat chaud offert. 🌠"
    form["event_at"] = at_2330.typed  # typed « 23:30 »: 23:30 in Paris
    form.submit("submit")
    post = dbsession.scalars(sa.select(GazettePost).where(GazettePost.community_id == community.id)).one()
    page = _text(testapp.get(f"{base}/annonce/{post.id}"))
    assert f"Le {at_2330.full}" in page and at_2330.full in page.replace(f"Le {at_2330.full}", "")  # event, posted
    assert f"Le {at_2330.full}" in _text(testapp.get(base))                                 # list
    edit = testapp.get(f"{base}/annonce/{post.id}/modifier").forms["gazette-post"]
    assert edit["event_at"].value == at_2330.typed                                          # shown back as typed
    ical = testapp.get(base + "/agenda.ics", {"t": feed_token(app.registry, community.id, author.id)}).text
    stamp = at_2330.typed.replace("-", "").replace(":", "") + "00"
    assert f"DTSTART;TZID=Europe/Paris:{stamp}" in ical and "BEGIN:VTIMEZONE" in ical
    assert f"TZOFFSETTO:{at_2330.offset.replace(':', '')}" in ical


def test_a_message_at_2330(testapp, app, dbsession, mairie, at_2330):  # noqa: F811
    from vvs_messaging.models import Conversation

    alice, bob, *_ = mairie.residents
    _switch(testapp, alice)
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    for checkbox in form.fields["checkbox"]:
        checkbox.checked = checkbox._value == str(bob.id)
    form["subject"] = "Arrosage des tomates"
    form["text"] = "Peux-tu arroser mes tomates jusqu'à dimanche ? Merci ! 🍅"
    form.submit("submit")
    conversation = dbsession.scalars(sa.select(Conversation)).one()
    _switch(testapp, bob)
    assert at_2330.full in _text(testapp.get("/messagerie"))                                # inbox
    assert at_2330.full in _text(testapp.get(f"/messagerie/conversation/{conversation.id}"))  # conversation
    run_tasks()
    [mail] = _mails_to(app, bob.email, "Arrosage des tomates")
    assert f"vous a écrit le {at_2330.full}" in mail


@pytest.mark.parametrize("monday, event, shown", [
    ((2026, 7, 13), (2026, 7, 14), "14/07/2026 à 23:30"),
    ((2026, 12, 28), (2026, 12, 31), "31/12/2026 à 23:30"),
], ids=["summer", "winter"])
def test_the_weekly_digest_gives_the_events_hour(app, dbsession, mairie, clock, monday, event, shown):  # noqa: F811
    from datetime import datetime

    from vvs_core.models import Notification
    from vvs_core.jobs.tasks import task_request
    from vvs_core.web.timefmt import dates
    from vvs_gazette.digest import send_weekly_digests
    from vvs_gazette.posts import create_post

    reader = mairie.residents[1]
    reader.notification_prefs = {"gazette": ["digest"]}
    clock.set_local(*monday, 9, 0)
    create_post(dbsession, mairie.community, mairie.residents[0], category="evenement", title="Bal du quartier",
                text="Place de l'Église.", event_at=datetime(*event, 23, 30, tzinfo=dates.zone))
    dbsession.flush()
    with task_request(app.registry) as request:
        request.dbsession = dbsession
        assert send_weekly_digests(request, clock.now()) >= 1
    body = dbsession.scalars(sa.select(Notification.body).where(
        Notification.kind == "gazette_digest", Notification.recipient_id == reader.id)).one()
    assert f"Bal du quartier — le {shown}" in body


def test_the_weekly_digest_comes_at_8_in_the_residents_own_commune(app, dbsession, mairie, clock, make_user):  # noqa: F811
    """A resident of a commune of La Réunion (UTC+4) gets the digest at 8:00 there, with the
    event's hour of La Réunion; a resident of a Paris-time commune at 8:00 in Paris."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from shapely.geometry import Point

    from vvs_core.geo import square_around
    from vvs_core.jobs.tasks import task_request
    from vvs_core.models import Commune, Community, Membership, Notification
    from vvs_gazette.digest import send_weekly_digests
    from vvs_gazette.posts import create_post

    reunion = ZoneInfo("Indian/Reunion")
    mairie.commune.time_zone = "Indian/Reunion"
    islander = mairie.residents[1]
    melun = Commune(insee="77288", name="Melun", postcodes=["77000"], centre=Point(2.6554, 48.5421))
    dbsession.add(melun)
    dbsession.flush()
    quarter = Community(commune_id=melun.id, name="Centre-ville", boundary=square_around((2.6554, 48.5421), 300))
    parisian = make_user(first_name="Élise", last_name="Moreau")
    dbsession.add(quarter)
    dbsession.flush()
    dbsession.add(Membership(user_id=parisian.id, community_id=quarter.id, status="active"))
    for person in (islander, parisian):
        person.notification_prefs = {"gazette": ["digest"]}
    event_at = datetime(2026, 7, 14, 23, 30, tzinfo=reunion)
    for community in (mairie.community, quarter):
        create_post(dbsession, community, mairie.residents[0], category="evenement", title="Séga « sous la varangue »",
                    text="Apportez un kabosy 🎶", event_at=event_at)
    dbsession.flush()

    def digests(local_hour: int, zone) -> set[int]:
        clock.set_local(2026, 7, 13, local_hour, 5, zone=zone)  # a Monday
        with task_request(app.registry) as request:
            request.dbsession = dbsession
            send_weekly_digests(request, clock.now())
        return set(dbsession.scalars(sa.select(Notification.recipient_id).where(Notification.kind == "gazette_digest")))

    assert digests(7, reunion) == set()                 # 7:05 in Saint-Denis, 5:05 in Paris
    assert digests(8, reunion) == {islander.id}         # 8:05 in Saint-Denis, 6:05 in Paris
    assert digests(7, ZoneInfo("Europe/Paris")) == {islander.id}
    assert digests(8, ZoneInfo("Europe/Paris")) == {islander.id, parisian.id}
    bodies = dict(dbsession.execute(sa.select(Notification.recipient_id, Notification.body).where(
        Notification.kind == "gazette_digest")).all())
    assert "Séga « sous la varangue » — le 14/07/2026 à 23:30" in bodies[islander.id]
    assert "Séga « sous la varangue » — le 14/07/2026 à 21:30" in bodies[parisian.id]


def test_a_gazette_event_typed_in_french_without_a_date_picker(testapp, dbsession, mairie, clock):  # noqa: F811
    from vvs_gazette.models import GazettePost

    clock.set_local(2026, 7, 1, 12, 0)
    base = f"/gazette/communaute/{mairie.community.id}"
    _switch(testapp, mairie.residents[0])
    form = testapp.get(base + "/ajouter").forms["gazette-post"]
    form["category"] = "evenement"
    form["title"] = "Feu d'artifice du 14 juillet"
    form["text"] = "Rendez-vous au parc."
    form["event_at"] = "14/07/2026 à 23h30"
    form.submit("submit")
    post = dbsession.scalars(sa.select(GazettePost).where(GazettePost.community_id == mairie.community.id)).one()
    assert "Le 14/07/2026 à 23:30" in _text(testapp.get(f"{base}/annonce/{post.id}"))
    form = testapp.get(base + "/ajouter").forms["gazette-post"]
    form["category"] = "evenement"
    form["title"] = "Date impossible"
    form["text"] = "…"
    form["event_at"] = "31/02/2026 à 25h"
    page = form.submit("submit", status=400)
    assert "Date et heure invalides" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 1


def test_a_request_sent_at_0030_on_new_years_day_is_dated_1_january(testapp, dbsession, make_user, make_community,
                                                                     clock):
    """00:30 on 1 January in Paris is still 31 December in UTC: the référent reads 01/01/2027."""
    from vvs_core.models import Membership

    clock.set_local(2027, 1, 1, 0, 30)
    referent, newcomer = make_user(), make_user(first_name="Noël", last_name="Lefèvre")
    community = make_community("Les Charmettes", referents=[referent])
    dbsession.add(Membership(user_id=newcomer.id, community_id=community.id, status="pending"))
    dbsession.flush()
    _switch(testapp, referent)
    queue = _text(testapp.get(f"/communaute/{community.id}/demandes"))
    assert "Noël" in queue and "Demande du 01/01/2027" in queue and "31/12/2026" not in queue


def test_a_commune_of_la_reunion_lives_at_its_own_hour(testapp, app, dbsession, make_user, mairie, agent_login,  # noqa: F811
                                                      clock):
    """Serris is set in La Réunion (UTC+4, issue 13.1): an action at 23:30 there reads 23:30 on
    its residents' pages, its mairie's pages, alerts, reports, CAP and e-mails, while a
    resident of a commune on the server's zone (Paris, UTC+2 in July) reads 21:30."""
    from zoneinfo import ZoneInfo

    from shapely.geometry import Point

    from vvs_core.geo import square_around
    from vvs_core.models import Commune, Community, Membership

    mairie.commune.time_zone = "Indian/Reunion"
    melun = Commune(insee="77288", name="Melun", postcodes=["77000"], centre=Point(2.6554, 48.5421))
    dbsession.add(melun)
    dbsession.flush()
    quarter = Community(commune_id=melun.id, name="Centre-ville", boundary=square_around((2.6554, 48.5421), 300))
    dbsession.add(quarter)
    parisian = make_user(first_name="Élise", last_name="Moreau")
    dbsession.flush()
    dbsession.add(Membership(user_id=parisian.id, community_id=quarter.id, status="active"))
    dbsession.flush()
    clock.set_local(2026, 7, 14, 23, 30, zone=ZoneInfo("Indian/Reunion"))
    reunion, paris = "14/07/2026 à 23:30", "14/07/2026 à 21:30"
    author, neighbour, *_ = mairie.residents

    _switch(testapp, author)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "autre"
    form["text"] = "Un chien errant « très doux » près du marché forain ’ 🐕"
    url = form.submit("submit").location
    alert_id = int(url.rsplit("/", 1)[1])
    assert reunion in _text(testapp.get(url)) and reunion in _text(testapp.get("/"))      # detail, home
    assert reunion in _text(testapp.get(f"/alertes/communaute/{mairie.community.id}"))    # list
    cap = etree.fromstring(testapp.get(f"/alertes/{alert_id}.cap.xml").body)
    assert cap.findtext(f"{CAP}sent") == "2026-07-14T23:30:00+04:00"
    run_tasks()
    [mail] = _mails_to(app, neighbour.email, "chien errant")
    assert f"le {reunion}" in mail

    _switch(testapp, author)  # the gazette: « 23:30 » typed is 23:30 in La Réunion
    base = f"/gazette/communaute/{mairie.community.id}"
    form = testapp.get(base + "/ajouter").forms["gazette-post"]
    form["category"], form["title"], form["text"] = "evenement", "Séga sur la place", "Apportez un kabosy."
    form["event_at"] = "2026-07-20T23:30"
    form.submit("submit")
    assert "Le 20/07/2026 à 23:30" in _text(testapp.get(base))

    _switch(testapp, parisian)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"] = "autre"
    form["text"] = "Portail de l'école resté ouvert cette nuit."
    url = form.submit("submit").location
    assert paris in _text(testapp.get(url)) and paris in _text(testapp.get("/"))
    assert reunion not in _text(testapp.get("/"))

    testapp.reset()
    agent_login(testapp, mairie)
    assert "14/07 23:30" in _text(testapp.get("/mairie/77449"))                            # dashboard
    form = {"category": "meteo", "title": "Alerte cyclonique orange", "body": "Rentrez les objets des varangues.",
            "target": "communities", "communities": str(mairie.community.id), "confirm": "1"}
    page = testapp.post_csrf("/mairie/77449/alertes/nouvelle", form, status=303).follow()
    assert f"Envoyée le {reunion}" in _text(page)
    csv = testapp.get("/mairie/77449/rapport/2026-07.csv").body.decode("utf-8-sig")
    assert "alertes de la mairie;Météo · Alerte cyclonique orange;14/07/2026 23:30:00;1;" in csv
    from vvs_mairie.models import MairieAlert

    commune_alert = dbsession.scalars(sa.select(MairieAlert).where(MairieAlert.commune_id == mairie.commune.id)).one()
    testapp.reset()
    assert reunion in _text(testapp.get(f"/avis/77449/{commune_alert.id}"))               # public page
    run_tasks()
    [mail] = _mails_to(app, mairie.residents[0].email, "varangues")
    assert f"Mairie de Serris, le {reunion}" in mail
