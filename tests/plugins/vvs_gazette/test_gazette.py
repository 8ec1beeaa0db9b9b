"""The gazette: posting, reading, searching, replies, edition, moderation, photos,
the iCal feed, the mairie's items and the weekly digest."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from PIL import Image
from webtest import Upload

from vvs_core import hookimpl
from vvs_core.models import CommunityEvent, Notification

from vvs_gazette.calendar import feed_token
from vvs_gazette.digest import due_time, in_quiet_hours, parse_quiet_hours, send_weekly_digests
from vvs_gazette.models import GazettePost, GazetteReport
from vvs_gazette.posts import PAGE_SIZE, add_reply, create_post, page_of_posts


@pytest.fixture
def quartier(make_user, make_community):
    alice = make_user(first_name="Alice", last_name="Martin")
    bob = make_user(first_name="Bob", last_name="Durand")
    referent = make_user(first_name="Rita", last_name="Référente")
    community = make_community("Les Tilleuls", members=[alice, bob], referents=[referent])
    return community, alice, bob, referent


def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (2000, 1500), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CanonDuVoisin"  # Make
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def url(community, tail=""):
    return f"/gazette/communaute/{community.id}{tail}"


def animal_post_form(testapp, community, author, title, text, *photos):
    """``author`` signed in, their new post « animal » form filled in, with ``photos`` (file names) uploaded."""
    testapp.login(author)
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    form["category"] = "animal"
    form["title"] = title
    form["text"] = text
    for index, name in enumerate(photos):
        form.set("upload", Upload(name, jpeg_with_exif(), "image/jpeg"), index=index)
    return form


def test_member_posts_with_photo_and_reads_it(testapp, quartier, dbsession):
    community, alice, bob, _ref = quartier
    form = animal_post_form(testapp, community, alice, "Chat roux perdu", "Il s'appelle Caramel.", "chat.jpg")
    page = form.submit("submit").maybe_follow()
    assert "Chat roux perdu" in page.text and "Animal perdu / trouvé" in page.text
    post = dbsession.scalars(sa.select(GazettePost)).one()
    assert post.photo_count == 1
    testapp.get(url(community, f"/annonce/{post.id}/photo/%C2%B2"), status=404)  # « ² »: no photo, no error
    photo = testapp.get(url(community, f"/annonce/{post.id}/photo/1"))
    assert photo.content_type == "image/jpeg"
    with Image.open(io.BytesIO(photo.body)) as img:
        assert max(img.size) <= 1024 and not img.getexif()
    testapp.reset()
    testapp.login(bob)
    listing = testapp.get(url(community))
    assert "Chat roux perdu" in listing.text and "Alice M." in listing.text and "Martin" not in listing.text


def test_my_data_holds_my_gazette_photos(testapp, quartier, dbsession):
    """« Mes données »: the archive holds the photos of the resident's posts as files, in
    their order, named in donnees.json beside the post (walk-through: only a count was there)."""
    import json
    import zipfile

    community, alice, bob, _ref = quartier
    animal_post_form(testapp, community, alice, "Chat « Caramel » perdu 🐈 près de l’Église",
                     "Roux, très doux ; œil vert. Merci d’avance !", "caramel.jpg", "caramel 2.png").submit(
        "submit", status=303)
    post = dbsession.scalars(sa.select(GazettePost)).one()
    create_post(dbsession, community, bob, category="annonce", title="Vélo", text="À vendre",
                photos=[(jpeg_with_exif(), "image/jpeg")])  # Bob's photo is not Alice's
    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    gazette = json.loads(archive.read("donnees.json"))["gazette"]
    [mine] = gazette["annonces"]
    names = mine["photos"]
    assert mine["id"] == post.id and names == ["gazette/annonces/1/photos/1.jpg", "gazette/annonces/1/photos/2.jpg"]
    assert [p for p in archive.namelist() if p.startswith("gazette/")] == names
    assert mine["titre"] == "Chat « Caramel » perdu 🐈 près de l’Église"
    with Image.open(io.BytesIO(archive.read(names[0]))) as img:
        assert img.format == "JPEG" and not img.getexif()


def party_form(testapp, community, author, text):
    """``author`` signed in, their new post form in ``community``: the event « Fête des voisins », ``text``."""
    testapp.login(author)
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    form["category"] = "evenement"
    form["title"] = "Fête des voisins"
    form["text"] = text
    return form


def test_bad_input_is_refused_next_to_the_field(testapp, quartier, dbsession):
    community, alice, *_ = quartier
    form = party_form(testapp, community, alice, "Apportez un plat.")
    page = form.submit("submit", status=400)
    assert "Indiquez la date et l'heure de l'événement." in page.text
    form = page.forms["gazette-post"]
    form["event_at"] = "2030-06-20T19:00"
    form.set("upload", Upload("faux.jpg", b"not an image at all", "image/jpeg"), index=0)
    page = form.submit("submit", status=400)
    assert "n'est pas une image JPEG, PNG ou WebP" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0
    # the mairie's rubric is not offered to residents
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    assert "mairie" not in [v for v, *_ in form["category"].options]


def test_past_dates_are_refused_with_every_other_error_in_one_pass(testapp, quartier, dbsession):
    community, alice, *_ = quartier
    # too long: colander's error, in the same pass as the dates
    form = party_form(testapp, community, alice, "é" * 5001)
    form["event_at"] = "2020-06-20T19:00"
    form["expires_on"] = "2020-06-21"
    page = form.submit("submit", status=400)
    assert "La date de l'événement est passée" in page.text
    assert "Cette date est passée" in page.text
    assert "5000 caractères au plus" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0
    form = page.forms["gazette-post"]
    assert form["event_at"].value == "2020-06-20T19:00"  # what was typed stays
    form["text"] = "Apportez un plat à partager."
    form["event_at"] = "2099-06-20T19:00"
    form["expires_on"] = "2099-06-21"
    form.submit("submit", status=303)
    post = dbsession.scalars(sa.select(GazettePost)).one()
    # editing a post keeps its dates even once they are past; a new past date is refused
    post.event_at = datetime(2020, 6, 20, 17, 0, tzinfo=timezone.utc)
    dbsession.flush()
    form = testapp.get(url(community, f"/annonce/{post.id}/modifier")).forms["gazette-post"]
    form["title"] = "Fête des voisins (photos)"
    form.submit("submit", status=303)
    form = testapp.get(url(community, f"/annonce/{post.id}/modifier")).forms["gazette-post"]
    form["event_at"] = "2021-06-20T19:00"
    assert "La date de l'événement est passée" in form.submit("submit", status=400).text


def test_the_dates_are_judged_in_the_same_pass_as_a_missing_rubric(testapp, quartier, dbsession):
    """A past event date typed before the rubric was chosen was told only once the rubric was
    chosen (a second round); a « visible until » day before the event hid the post before its
    event, without a word."""
    community, alice, *_ = quartier
    form = party_form(testapp, community, alice, "Apportez un plat 🍰")
    form["category"] = ""
    form["event_at"] = "2020-06-20T19:00"
    page = form.submit("submit", status=400)
    assert "Choisissez une rubrique de la liste." in page.text
    assert "La date de l'événement est passée" in page.text
    form = page.forms["gazette-post"]
    form["category"] = "evenement"
    form["event_at"] = "2099-06-20T23:30"  # 21:30 UTC, in the summer: still 20 June in Paris
    form["expires_on"] = "2099-06-19"
    page = form.submit("submit", status=400)
    assert "avant le jour de l'événement (le samedi 20 juin 2099)" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0
    form = page.forms["gazette-post"]
    form["expires_on"] = "2099-06-20"
    form.submit("submit", status=303)
    assert dbsession.scalars(sa.select(GazettePost)).one().expires_on.isoformat() == "2099-06-20"


def test_past_is_read_in_the_communes_time_zone():
    from vvs_gazette.posts import EXPIRY_IN_THE_PAST, date_problems

    from datetime import date
    # 23:30 UTC on 6 December is already 7 December in Paris (winter, UTC+1)…
    late = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)
    assert date_problems({"expires_on": date(2026, 12, 6)}, "Europe/Paris", now=late) == {
        "expires_on": EXPIRY_IN_THE_PAST}
    assert date_problems({"expires_on": date(2026, 12, 7)}, "Europe/Paris", now=late) == {}
    # …and 22:30 UTC on 6 July is 00:30 on 7 July (summer, UTC+2).
    summer = datetime(2026, 7, 6, 22, 30, tzinfo=timezone.utc)
    assert date_problems({"expires_on": date(2026, 7, 6)}, "Europe/Paris", now=summer) != {}
    assert date_problems({"expires_on": date(2026, 7, 6)}, "America/Cayenne", now=summer) == {}


def test_page_query_counts_replies_paginates_and_searches(dbsession, quartier):
    community, alice, bob, _ = quartier
    posts = [create_post(dbsession, community, alice, category="annonce", title=f"Annonce {i}",
                         text="Vends vélo" if i == 3 else "Texte") for i in range(PAGE_SIZE + 5)]
    add_reply(dbsession, posts[-1], bob, "Intéressé")
    add_reply(dbsession, posts[-1], bob, "Toujours dispo ?")
    rows, more = page_of_posts(dbsession, community.id, 1)
    assert len(rows) == PAGE_SIZE and more
    assert rows[0].post.id == posts[-1].id and rows[0].reply_count == 2 and rows[0].author == "Alice M."
    rows2, more2 = page_of_posts(dbsession, community.id, 2)
    assert len(rows2) == 5 and not more2
    found, _ = page_of_posts(dbsession, community.id, 1, "VÉLO".lower().replace("é", "é"))
    assert [r.post.title for r in found] == ["Annonce 3"]
    found, _ = page_of_posts(dbsession, community.id, 1, "ANNONCE 1")
    assert {r.post.title for r in found} >= {"Annonce 1", "Annonce 10"}
    found, _ = page_of_posts(dbsession, community.id, 1, "100%_")
    assert found == []


def test_page_is_one_query(dbsession, quartier):
    community, alice, bob, _ = quartier
    for i in range(30):
        post = create_post(dbsession, community, alice if i % 2 else bob, category="annonce", title=f"A{i}", text="t")
        add_reply(dbsession, post, bob, "r")
    community_id = community.id
    dbsession.expire_all()
    statements = []
    bind = dbsession.get_bind()

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(bind, "before_cursor_execute", count)
    try:
        rows, _ = page_of_posts(dbsession, community_id, 1)
        _ = [(r.author, r.reply_count, r.post.title, r.post.photo_count) for r in rows]
    finally:
        sa.event.remove(bind, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects


def test_only_the_author_edits_and_deletes(testapp, quartier, dbsession):
    community, alice, bob, _ = quartier
    post = create_post(dbsession, community, alice, category="covoiturage", title="Trajet Paris", text="Lundi 8h")
    testapp.login(bob)
    refused = " ".join(testapp.get(url(community, f"/annonce/{post.id}/modifier"), status=403).text.split())
    # the right reason: Bob is a member; the post is Alice's
    assert "Vous êtes bien membre de la communauté" in refused and "réservée à l'auteur" in refused
    assert "dont vous n'êtes pas membre" not in refused
    testapp.post_csrf(url(community, f"/annonce/{post.id}/supprimer"), status=403)
    testapp.reset()
    testapp.login(alice)
    form = testapp.get(url(community, f"/annonce/{post.id}/modifier")).forms["gazette-post"]
    form["title"] = "Trajet Paris (complet)"
    form.submit("submit").maybe_follow()
    dbsession.refresh(post)
    assert post.title == "Trajet Paris (complet)" and post.updated_at is not None
    asked = testapp.post_csrf(url(community, f"/annonce/{post.id}/supprimer"), status=200)
    asked.forms["confirmation"].submit("submit", status=303)
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0


def test_deleting_a_post_asks_first_and_says_what_goes_with_it(testapp, quartier, dbsession):
    """One tap on « Supprimer » (a phone, a thumb) took the post and the neighbours' replies for good."""
    community, alice, bob, _ = quartier
    form = animal_post_form(testapp, community, alice, "« Chat perdu » : Mistigri, rue de l’Église 🐈",
                            "Tigré, très câlin. Appelez-moi !", "chat.jpg", "chat2.jpg")
    form.submit("submit").maybe_follow()
    post = dbsession.scalars(sa.select(GazettePost)).one()
    add_reply(dbsession, post, bob, "Je l’ai vu près du lavoir ce matin !")
    add_reply(dbsession, post, bob, "Il est rentré ?")
    page = testapp.get(url(community, f"/annonce/{post.id}"))
    asked = page.forms[next(k for k, f in page.forms.items() if f.action.endswith("/supprimer"))].submit(status=200)
    text = " ".join(asked.text.split())
    assert "Supprimer « « Chat perdu » : Mistigri, rue de l’Église 🐈 » ?" in text
    assert "Elle disparaîtra de la Gazette avec ses 2 réponses et ses 2 photos. C'est définitif." in text
    assert asked.html.find("a", string="Annuler")["href"] == url(community, f"/annonce/{post.id}")
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 1  # asking changed nothing
    testapp.post_csrf(url(community, f"/annonce/{post.id}/supprimer"), {"__formid__": "autre"}, status=200)
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 1
    testapp.post(url(community, f"/annonce/{post.id}/supprimer"), {"__formid__": "confirmation"}, status=400)
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 1  # no CSRF token: refused
    done = asked.forms["confirmation"].submit("submit", status=303).follow()
    assert "Votre information est supprimée." in done.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0


def test_a_post_alone_is_asked_about_in_the_singular(testapp, quartier, dbsession):
    community, alice, bob, _ = quartier
    post = create_post(dbsession, community, alice, category="covoiturage", title="Trajet Paris", text="Lundi 8h")
    add_reply(dbsession, post, bob, "Je viens !")
    testapp.login(alice)
    text = " ".join(testapp.post_csrf(url(community, f"/annonce/{post.id}/supprimer"), status=200).text.split())
    assert "avec sa réponse." in text
    post.replies.clear()  # delete-orphan: the reply goes
    dbsession.flush()
    text = " ".join(testapp.post_csrf(url(community, f"/annonce/{post.id}/supprimer"), status=200).text.split())
    assert "Elle disparaîtra de la Gazette. C'est définitif." in text


def test_report_then_referent_hides_with_audit(testapp, quartier, dbsession):
    community, alice, bob, referent = quartier
    post = create_post(dbsession, community, alice, category="vie_quartier", title="Propos déplacés", text="…")
    testapp.login(bob)
    form = testapp.get(url(community, f"/annonce/{post.id}/signaler")).forms["gazette-report"]
    form["reason"] = "Insultant"
    form.submit("submit").maybe_follow()
    assert dbsession.scalars(sa.select(GazetteReport)).one().reason == "Insultant"
    testapp.get(url(community, "/moderation"), status=403)
    testapp.post_csrf(url(community, f"/annonce/{post.id}/moderer"), {"action": "hide"}, status=403)
    testapp.reset()
    testapp.login(referent)
    queue = testapp.get(url(community, "/moderation"))
    assert "Insultant" in queue.text
    testapp.post_csrf(url(community, f"/annonce/{post.id}/moderer"),
                      {"action": "hide", "reason": "Contraire à la charte"}, status=303)
    dbsession.refresh(post)
    assert post.hidden and post.hidden_reason == "Contraire à la charte"
    assert dbsession.scalars(sa.select(GazetteReport)).one().resolved_at is not None
    event = dbsession.scalars(sa.select(CommunityEvent).where(CommunityEvent.kind == "gazette_hidden")).one()
    assert event.public is False and event.actor_id == referent.id
    testapp.reset()
    testapp.login(bob)
    assert "Propos déplacés" not in testapp.get(url(community)).text
    testapp.get(url(community, f"/annonce/{post.id}"), status=404)


def test_moderator_restores_a_reply(testapp, quartier, dbsession, make_user):
    community, alice, bob, _ = quartier
    moderator = make_user(is_moderator=True)
    post = create_post(dbsession, community, alice, category="annonce", title="Vélo", text="…")
    reply = add_reply(dbsession, post, bob, "Réponse")
    reply.hidden = True
    dbsession.flush()
    testapp.login(moderator)
    testapp.post_csrf(url(community, f"/annonce/{post.id}/moderer"),
                      {"action": "restore", "reply_id": reply.id, "reason": "Erreur"}, status=303)
    dbsession.refresh(reply)
    assert not reply.hidden
    assert dbsession.scalars(sa.select(CommunityEvent).where(CommunityEvent.kind == "gazette_restored")).one()


@pytest.mark.parametrize("fields, files, told", [
    ({"action": "supprimer"}, [], "Action de modération invalide"), ({"action": ""}, [], "Action de modération invalide"),
    ({"action": "hide\x00"}, [], "Action de modération invalide"),
    ({}, [("action", "a.txt", b"hide")], "Action de modération invalide"),
    ({"action": "hide", "reason": "x" * 1001}, [], "Motif : 1000 caractères au plus (1001 saisis)"),
])
def test_hostile_moderation_fields_change_nothing(testapp, quartier, dbsession, fields, files, told):
    community, alice, _bob, referent = quartier
    post = create_post(dbsession, community, alice, category="annonce", title="Vélo", text="…")
    testapp.login(referent)
    answer = testapp.post_csrf(url(community, f"/annonce/{post.id}/moderer"), fields, upload_files=files, status=303)
    assert told in answer.follow().text
    dbsession.refresh(post)
    assert not post.hidden
    assert dbsession.scalar(sa.select(sa.func.count(CommunityEvent.id)).where(CommunityEvent.kind == "gazette_hidden")) == 0
    # a file as « back » returns to the post, the decision made
    answer = testapp.post_csrf(url(community, f"/annonce/{post.id}/moderer"), {"action": "hide", "reason": "Charte"},
                               upload_files=[("back", "b.txt", b"moderation")], status=303)
    assert answer.location.endswith(f"/annonce/{post.id}")


def test_ical_feed_for_members_only(testapp, quartier, dbsession, app_registry):
    community, alice, *_ = quartier
    create_post(dbsession, community, alice, category="evenement", title="Fête des voisins, enfin",
                text="Place du marché", event_at=datetime(2031, 6, 20, 17, 0, tzinfo=timezone.utc))
    good = feed_token(app_registry, community.id, alice.id)
    feed = testapp.get(url(community, "/agenda.ics"), {"t": good})
    assert feed.content_type == "text/calendar"
    assert "SUMMARY:Fête des voisins\\, enfin" in feed.text and "DTSTART;TZID=Europe/Paris:20310620T190000" in feed.text
    assert "BEGIN:VTIMEZONE" in feed.text and "TZOFFSETTO:+0200" in feed.text
    testapp.get(url(community, "/agenda.ics"), {"u": alice.id, "t": "x" * 40}, status=404)
    testapp.get(url(community, "/agenda.ics"), {"t": f"{alice.id + 999}{good[len(str(alice.id)):]}"}, status=404)
    testapp.get(url(community, "/agenda.ics"), {"u": alice.id, "t": good}, status=404)


def test_a_calendar_link_made_before_the_signed_links_helper_still_serves(testapp, quartier, dbsession, app_registry):
    """Calendar applications poll the link they were given (``?u=…&t=`` the gazette's own
    HMAC, before vvs_core.web.links.signed): it still serves; changed, moved to another
    community or member, or another purpose's token, it does not."""
    import hashlib
    import hmac

    from vvs_core.web.links import signed

    community, alice, *_ = quartier
    create_post(dbsession, community, alice, category="evenement", title="Veillée « étoiles filantes » 🌠",
                text="À l’étang", event_at=datetime(2031, 8, 12, 21, 30, tzinfo=timezone.utc))
    message = f"gazette-ical:{community.id}:{alice.id}".encode()
    old = hmac.new(app_registry.settings["vvs.secret"].encode(), message, hashlib.sha256).hexdigest()[:40]
    feed = testapp.get(url(community, "/agenda.ics"), {"u": alice.id, "t": old})
    assert "SUMMARY:Veillée « étoiles filantes » 🌠" in feed.text and "DTSTART;TZID=Europe/Paris:20310812T233000" in feed.text
    for params in ({"u": alice.id + 1, "t": old}, {"u": alice.id, "t": old[:-1]}, {"u": alice.id, "t": old + "é"},
                   {"t": signed(app_registry, "rollcall-answer", alice.id)}, {"u": "١", "t": old},
                   {"t": signed(app_registry, f"gazette-ical:{community.id + 1}", alice.id)}):
        testapp.get(url(community, "/agenda.ics"), params, status=404)


def test_vvs_gazette_items(testapp, quartier, plug):
    community, alice, *_ = quartier

    class MairieStub:
        @hookimpl
        def vvs_gazette_items(self, request, community):
            return [{"title": "Travaux rue des Écoles", "text": "Du 3 au 7 mars.", "author": "Mairie de Serris",
                     "created_at": datetime(2030, 1, 1, tzinfo=timezone.utc), "source": "mairie"}]

    plug(MairieStub())
    testapp.login(alice)
    page = testapp.get(url(community))
    assert "Travaux rue des Écoles" in page.text and "Information de la mairie" in page.text
    assert "Travaux" not in testapp.get(url(community), {"q": "vélo"}).text


def test_digest_weekly_idempotent_and_quiet_hours(app, dbsession, quartier):
    from vvs_core.jobs.tasks import task_request

    community, alice, bob, _ = quartier
    alice.notification_prefs = {"gazette": ["digest"]}
    bob.notification_prefs = {"gazette": ["digest"], "quiet_hours": {"start": "07:00", "end": "10:00"}}
    create_post(dbsession, community, alice, category="pret_don", title="Donne perceuse", text="…")
    dbsession.flush()
    monday_9h_paris = datetime.now(timezone.utc).replace(microsecond=0)
    # 09:00 Paris on this week's Monday (UTC+1 or +2): build it in local time
    from zoneinfo import ZoneInfo

    local = monday_9h_paris.astimezone(ZoneInfo("Europe/Paris"))
    monday = (local - __import__("datetime").timedelta(days=local.weekday())).replace(hour=9, minute=0, second=0)
    with task_request(app.registry) as request:
        request.dbsession = dbsession
        assert send_weekly_digests(request, monday.astimezone(timezone.utc)) == 1   # bob is in quiet hours
        assert send_weekly_digests(request, monday.astimezone(timezone.utc)) == 0   # idempotent
        later = monday.replace(hour=10, minute=5)
        assert send_weekly_digests(request, later.astimezone(timezone.utc)) == 1    # bob, after quiet hours
    rows = dbsession.scalars(sa.select(Notification).where(Notification.kind == "gazette_digest")).all()
    assert sorted(r.recipient_id for r in rows) == sorted([alice.id, bob.id])
    assert all("Donne perceuse" in r.body for r in rows)


def test_quiet_hours_rules():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    quiet = parse_quiet_hours({"start": "22:00", "end": "09:00"})  # as « Mes paramètres » keeps them
    assert in_quiet_hours(datetime(2030, 1, 7, 23, 0, tzinfo=paris), quiet)
    assert not in_quiet_hours(datetime(2030, 1, 7, 12, 0, tzinfo=paris), quiet)
    now = datetime(2030, 1, 9, 12, 0, tzinfo=paris)  # a Wednesday
    assert due_time(now, 0, 6, None).hour == 6
    assert due_time(now, 0, 6, parse_quiet_hours({"start": "22:00", "end": "07:00"})).hour == 8
    assert due_time(now, 0, 6, quiet).hour == 9
    assert parse_quiet_hours("n'importe quoi") is None


def test_the_gazette_pages_say_where_they_are(testapp, quartier, dbsession):
    """More posts than a page: « Page 1 sur 2 », links to the other page, and the search kept."""
    community, alice, _bob, _ = quartier
    for i in range(PAGE_SIZE + 4):
        create_post(dbsession, community, alice, category="annonce", title=f"Pâtisserie n°{i:02d} « maison »",
                    text="Tarte aux pommes 🍎 à partager")
    testapp.login(alice)
    first = testapp.get(url(community))
    assert "Page 1 sur 2" in first.text and 'aria-label="Pagination"' in first.text
    second = first.click("Page suivante")
    assert "Page 2 sur 2" in second.text and "Pâtisserie n°00" in second.text
    searched = testapp.get(url(community), {"q": "Pâtisserie"})
    assert "Page 1 sur 2" in searched.text and "q=P%C3%A2tisserie" in searched.text


def test_a_post_in_another_community_leaves_this_gazette_cached(testapp, quartier, dbsession, app_registry,
                                                                 make_user, make_community):
    """The page cache follows what changed (issue 16.4): a post in community A does not
    invalidate community B's cached gazette page; a post in B does (and shows at once)."""
    b, alice, _bob, _ = quartier
    voisine = make_user(first_name="Vanessa", last_name="Ailleurs")
    a = make_community("Les Marronniers", centre=(2.80, 48.85), members=[voisine])
    cache = app_registry["vvs.page_cache"]
    # The registry outlives a test and SQLite gives the same ids again: forget the pages
    # that earlier tests left under this community's id.
    cache.values.clear()
    testapp.login(alice)
    testapp.get(url(b))
    testapp.get(url(b))
    [key] = [k for k in cache.values if k[:3] == ("gazette", b.id, 1)]
    entry = cache.values[key]
    create_post(dbsession, a, voisine, category="annonce", title="Perceuse à prêter", text="Chez moi, au n°3")
    page = testapp.get(url(b))
    assert cache.values[key] is entry, "B's page was computed again after a post in A"
    assert "Perceuse" not in page.text
    create_post(dbsession, b, alice, category="annonce", title="Échelle à prêter", text="Pour l’élagage")
    assert "Échelle à prêter" in testapp.get(url(b)).text
    assert cache.values[key] is not entry


def test_the_moderation_lists_are_read_a_page_at_a_time(testapp, dbsession, make_user, make_community):
    """Issue 16.3: 23 reports (20 a page, oldest first) and 3 hidden posts, each list with
    its own page parameter and navigation name."""
    from datetime import timedelta

    author, reporter, referent = make_user(), make_user(), make_user()
    community = make_community(members=[author, reporter], referents=[referent])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    for n in range(23):
        post = GazettePost(community_id=community.id, author_id=author.id, category="annonce",
                           title=f"Annonce n° {n:02d} « vide-grenier »", text="Rendez-vous place de l’Église 🙂",
                           hidden=n < 3, hidden_reason="Hors sujet" if n < 3 else "", created_at=start)
        dbsession.add(post)
        dbsession.flush()
        dbsession.add(GazetteReport(community_id=community.id, post_id=post.id, reporter_id=reporter.id,
                                    reason=f"Signalement n° {n:02d}", created_at=start + timedelta(minutes=n)))
    dbsession.flush()
    testapp.login(referent)
    url = f"/gazette/communaute/{community.id}/moderation"
    first = testapp.get(url)
    assert "Signalements en attente (23)" in first.text and "Page 1 sur 2" in first.text
    assert 'aria-label="Pages des signalements"' in first.text
    assert "Signalement n° 19" in first.text and "Signalement n° 20" not in first.text
    assert "Annonces (3)" in first.text and "Annonce n° 02" in first.text
    second = testapp.get(url, {"page_reports": "2"})
    assert "Signalement n° 20" in second.text and "Signalement n° 22" in second.text
    assert "Signalement n° 19" not in second.text and "Page 2 sur 2" in second.text


def test_an_event_at_an_hour_the_clocks_skip_is_refused_and_one_they_repeat_is_the_first(testapp, quartier,
                                                                                         dbsession):
    """Walk-through: 02:30 on the night the clocks go forward was stored silently (as
    03:30). It is refused in French; 02:30 on the night they go back is the first one
    (summer time), and the member is told so."""
    community, alice, *_ = quartier
    testapp.login(alice)
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    form["category"], form["title"], form["text"] = "evenement", "Nuit des étoiles", "Apportez une lampe « rouge »."
    form["event_at"] = "2027-03-28T02:30"
    page = form.submit("submit", status=400)
    assert "dimanche 28 mars 2027 à 02h30 n'existe pas à Paris" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0
    form = page.forms["gazette-post"]
    form["event_at"] = "2027-10-31T02:30"
    page = form.submit("submit", status=303).follow()
    assert "arrive deux fois" in page.text and "nous avons retenu la première, à l'heure d'été" in page.text
    post = dbsession.scalars(sa.select(GazettePost)).one()
    assert post.event_at.astimezone(timezone.utc) == datetime(2027, 10, 31, 0, 30, tzinfo=timezone.utc)


def test_a_pasted_control_character_is_refused_in_french_and_french_text_is_kept_whole(testapp, quartier, dbsession):
    community, alice, *_ = quartier
    testapp.login(alice)
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    form["category"] = "evenement"
    form["event_at"] = "2099-06-20T19:00"
    form["title"] = "Fête de l’été \x1b[31m"  # an escape sequence pasted from a terminal
    form["text"] = "Apportez un plat\x00 à partager."
    page = form.submit("submit", status=400)
    assert "caractères de contrôle invisibles" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0
    form = page.forms["gazette-post"]
    title = "« Fête de l’été » à la Maison des Œuvres 🎉"
    text = "Crêpes, maïs grillé, bœuf bourguignon : apportez ce que vous voulez ! " * 20
    form["title"], form["text"] = title, text
    form.submit("submit", status=303)
    post = dbsession.scalars(sa.select(GazettePost)).one()
    assert (post.title, post.text) == (title, text.strip())


def test_a_post_without_its_rubric_says_which_to_choose(testapp, quartier, dbsession):
    """Sent with « — Choisissez — » left in the rubric, the page said only « Requis »."""
    community, alice, *_ = quartier
    testapp.login(alice)
    form = testapp.get(url(community, "/ajouter")).forms["gazette-post"]
    form["title"], form["text"] = "Perceuse à prêter", "Une perceuse « Bosch » à prêter ce week-end."
    page = form.submit("submit", status=400)
    assert "Choisissez une rubrique de la liste." in page.text
    assert ">Requis<" not in page.text and "Requis" not in page.html.get_text()
    assert dbsession.scalar(sa.select(sa.func.count(GazettePost.id))) == 0


def test_the_day_of_an_event_is_the_communes_day():
    """An event at 00:30 in Paris in winter is 23:30 UTC the day before: « visible until » that
    UTC day would hide it before it starts; at 23:30 in summer (21:30 UTC) the day is the same."""
    from datetime import date

    from vvs_gazette.posts import date_problems

    now = datetime(2098, 1, 1, tzinfo=timezone.utc)
    winter = {"category": "evenement", "event_at": datetime(2099, 1, 20, 23, 30, tzinfo=timezone.utc)}
    assert "expires_on" in date_problems({**winter, "expires_on": date(2099, 1, 20)}, "Europe/Paris", now=now)
    assert date_problems({**winter, "expires_on": date(2099, 1, 21)}, "Europe/Paris", now=now) == {}
    summer = {"category": "evenement", "event_at": datetime(2099, 7, 14, 21, 30, tzinfo=timezone.utc)}
    assert date_problems({**summer, "expires_on": date(2099, 7, 14)}, "Europe/Paris", now=now) == {}
    assert "expires_on" in date_problems({**summer, "expires_on": date(2099, 7, 13)}, "Europe/Paris", now=now)
    assert date_problems({**summer, "category": "annonce", "expires_on": date(2099, 7, 13)}, "Europe/Paris", now=now) == {}
