"""Messagerie: conversations between neighbours, the hook for others, unread counts,
hourly e-mail notices, blocking, reports, and the personal-data hooks."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from vvs_core import hookimpl
from vvs_core.web.batch import resolve_values
from vvs_core.models import Notification

from vvs_messaging.conversations import notice_key, unread_total
from vvs_messaging.models import Conversation, Message, MessageReport

from new_conversation import post_new_conversation


@pytest.fixture
def voisins(make_user, make_community):
    alice = make_user(first_name="Alice", last_name="Martin")
    bob = make_user(first_name="Bob", last_name="Durand")
    carla = make_user(first_name="Carla", last_name="Petit")
    outsider = make_user(first_name="Oscar", last_name="Dehors", pseudonym="oscar77")
    community = make_community("Les Tilleuls", members=[alice, bob, carla])
    make_community("Loin", centre=(2.80, 48.85), members=[outsider])
    return alice, bob, carla, outsider


def start(testapp, recipients, text="Bonjour !", subject="Absence", **kw):
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    for checkbox in form.fields["checkbox"]:
        checkbox.checked = checkbox._value in {str(r.id) for r in recipients}
    form["subject"] = subject
    form["text"] = text
    return form.submit("submit", **kw)


def test_conversation_between_neighbours_with_unread_badge_and_one_notice_per_hour(
        testapp, voisins, dbsession, app):
    alice, bob, carla, _ = voisins
    testapp.login(alice)
    page = start(testapp, [bob, carla], "Je pars une semaine, pouvez-vous veiller ?").maybe_follow()
    assert "Je pars une semaine" in page.text and "Bob D." in page.text and "Durand" not in page.text
    conversation = dbsession.scalars(sa.select(Conversation)).one()
    reply = page.forms["reply"]
    reply["text"] = "Et merci d'avance."
    reply.submit("submit")
    assert unread_total(dbsession, bob.id) == 2
    notices = dbsession.scalars(sa.select(Notification).where(Notification.kind == "message")).all()
    assert sorted(n.recipient_id for n in notices) == sorted([bob.id, carla.id])  # 2 messages, 1 notice each
    assert all(n.dedupe_key.startswith(f"message-notice:{conversation.id}:") for n in notices)
    testapp.reset()
    testapp.login(bob)
    inbox = testapp.get("/messagerie")
    assert 'class="badge">2<' in inbox.text.replace("\n", "")
    # a screen reader says « Messagerie (2) », not « Messagerie2 » (walk-through)
    link = inbox.html.find("nav", id="menu-principal").find("a", href="/messagerie")
    assert " ".join(link.get_text().split()) == "Messagerie (2)", link
    testapp.get(f"/messagerie/conversation/{conversation.id}")
    assert unread_total(dbsession, bob.id) == 0


def test_notice_key_changes_with_the_hour():
    a = notice_key(1, 2, datetime(2030, 1, 1, 10, 5, tzinfo=timezone.utc))
    b = notice_key(1, 2, datetime(2030, 1, 1, 10, 59, tzinfo=timezone.utc))
    c = notice_key(1, 2, datetime(2030, 1, 1, 11, 0, tzinfo=timezone.utc))
    assert a == b != c


def test_cannot_write_to_someone_outside(testapp, voisins, dbsession):
    alice, _bob, _carla, outsider = voisins
    testapp.login(alice)
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    assert str(outsider.id) not in [c._value for c in form.fields["checkbox"]]
    page = post_new_conversation(testapp, outsider.id, "Salut")
    assert "Vous ne pouvez pas écrire" in page.text
    assert dbsession.scalar(sa.select(sa.func.count(Conversation.id))) == 0
    assert "Oscar" not in testapp.get("/messagerie/nouveau", {"a": outsider.id}).text


def test_vvs_messageable_users(testapp, voisins, dbsession, plug):
    alice, bob, _carla, outsider = voisins

    class TwinStub:
        @hookimpl
        def vvs_messageable_users(self, request, user):
            return [(outsider.id, "pseudonym")] if user.id == alice.id else [(alice.id, "pseudonym")]

    plug(TwinStub())
    testapp.login(alice)
    form_page = testapp.get("/messagerie/nouveau")
    assert "oscar77" in form_page.text and "Oscar" not in form_page.text and "Dehors" not in form_page.text
    page = start(testapp, [outsider], "Bonjour du quartier voisin").maybe_follow()
    assert "oscar77" in page.text and "Dehors" not in page.text
    testapp.reset()
    testapp.login(outsider)
    conversation = dbsession.scalars(sa.select(Conversation)).one()
    seen = testapp.get(f"/messagerie/conversation/{conversation.id}")
    assert alice.display_pseudonym in seen.text and "Martin" not in seen.text and "Alice M." not in seen.text
    assert alice.mobile not in seen.text


def test_block_stops_messages(testapp, voisins, dbsession):
    alice, bob, *_ = voisins
    testapp.login(alice)
    start(testapp, [bob], "Premier message")
    conversation = dbsession.scalars(sa.select(Conversation)).one()
    testapp.reset()
    testapp.login(bob)
    testapp.post_csrf(f"/messagerie/bloquer/{alice.id}", status=303)
    testapp.reset()
    testapp.login(alice)
    form = testapp.get(f"/messagerie/conversation/{conversation.id}").forms["reply"]
    form["text"] = "Tu m'ignores ?"
    page = form.submit("submit", status=400)
    assert "ne souhaite plus recevoir vos messages" in page.text
    assert "L'une des personnes choisies ne souhaite plus" in start(testapp, [bob], "Encore", subject="x", status=400).text


def test_report_seen_by_moderators(testapp, voisins, dbsession, make_user):
    alice, bob, *_ = voisins
    moderator = make_user(is_moderator=True)
    testapp.login(alice)
    start(testapp, [bob], "Contenu douteux")
    message = dbsession.scalars(sa.select(Message)).one()
    testapp.reset()
    testapp.login(bob)
    form = testapp.get(f"/messagerie/message/{message.id}/signaler").forms["report-message"]
    form["reason"] = "Harcèlement"
    form.submit("submit")
    testapp.get("/messagerie/signalements", status=403)
    testapp.reset()
    testapp.login(moderator)
    page = testapp.get("/messagerie/signalements")
    assert "Contenu douteux" in page.text and "Harcèlement" in page.text
    report = dbsession.scalars(sa.select(MessageReport)).one()
    for hostile in ({"action": "supprimer"}, {"action": ""}, {"action": "remove\x00"}, {}):
        testapp.post_csrf(f"/messagerie/signalements/{report.id}", hostile, status=400)
    testapp.post_csrf(f"/messagerie/signalements/{report.id}", upload_files=[("action", "a.txt", b"remove")], status=400)
    dbsession.refresh(report)
    assert report.resolved_at is None and "Contenu douteux" in message.text
    testapp.post_csrf(f"/messagerie/signalements/{report.id}", {"action": "remove"}, status=303)
    dbsession.refresh(message)
    assert "retiré par la modération" in message.text


def test_the_moderators_find_the_reported_messages_from_their_menu(testapp, voisins, dbsession, make_user):
    """A moderator reached « Messages signalés » only by typing its address: nothing in their
    menu nor on their home led there, and no e-mail told of a report."""
    alice, bob, *_ = voisins
    moderator = make_user(first_name="Hélène", is_moderator=True)
    testapp.login(alice)
    assert "Messages signalés" not in testapp.get("/").text
    start(testapp, [bob], "Arrosez mes géraniums ! 🌱")
    message = dbsession.scalars(sa.select(Message)).one()
    testapp.reset()
    testapp.login(bob)
    form = testapp.get(f"/messagerie/message/{message.id}/signaler").forms["report-message"]
    form["reason"] = "Ton insistant « pénible » 😒"
    form.submit("submit")
    assert "Messages signalés" not in testapp.get("/").text
    testapp.reset()
    testapp.login(moderator)
    home = testapp.get("/").html
    work = {a.text: a for a in home.select("[aria-labelledby=h-travail] a")}
    assert "(1 en attente)" in work["Messages signalés"].parent.text
    assert "Ton insistant « pénible » 😒" in testapp.get(work["Messages signalés"]["href"]).text
    report = dbsession.scalars(sa.select(MessageReport)).one()
    testapp.post_csrf(f"/messagerie/signalements/{report.id}", {"action": "keep"}, status=303)
    assert "en attente" not in testapp.get("/").html.select_one("[aria-labelledby=h-travail]").text


def test_messages_exported_and_erased(testapp, voisins, dbsession, app):
    from vvs_core.jobs.tasks import task_request

    alice, bob, *_ = voisins
    testapp.login(alice)
    start(testapp, [bob], "Données personnelles")
    with task_request(app.registry) as request:
        request.dbsession = dbsession
        exported = {}
        for answer in app.registry.vvs_plugins.hook.vvs_export_user_data(request=request, user=alice):
            exported.update(answer or {})
        exported = resolve_values(request, exported)  # the lists are SQL, read in one statement
        assert exported["messagerie"]["messages_envoyes"][0]["texte"] == "Données personnelles"
        app.registry.vvs_plugins.hook.vvs_erase_user_data(request=request, user=alice)
    assert dbsession.scalar(sa.select(sa.func.count(Message.id)).where(Message.sender_id == alice.id)) == 0


def test_the_inbox_is_read_a_page_at_a_time(testapp, dbsession, voisins):
    """A référent with more conversations than a page (INBOX_PAGE): newest first, « Page 1 sur 2 »."""
    from datetime import timedelta

    from vvs_core.clock import utcnow
    from vvs_messaging.conversations import INBOX_PAGE
    from vvs_messaging.models import Participant

    alice, bob, *_ = voisins
    start_at = utcnow() - timedelta(days=60)
    for i in range(INBOX_PAGE + 3):
        when = start_at + timedelta(hours=i)
        conversation = Conversation(subject=f"Arrosage n°{i:02d} 🌱", created_by_id=bob.id, created_at=when,
                                    last_message_at=when)
        dbsession.add(conversation)
        dbsession.flush()
        dbsession.add_all([Participant(conversation_id=conversation.id, user_id=alice.id),
                           Participant(conversation_id=conversation.id, user_id=bob.id),
                           Message(conversation_id=conversation.id, sender_id=bob.id, created_at=when,
                                   text="Pourriez-vous arroser « mes » tomates ?")])
    dbsession.flush()
    testapp.login(alice)
    first = testapp.get("/messagerie")
    newest, oldest = f"Arrosage n°{INBOX_PAGE + 2:02d}", "Arrosage n°00"
    assert "Page 1 sur 2" in first.text and newest in first.text and oldest not in first.text
    second = first.click("Page suivante")
    assert "Page 2 sur 2" in second.text and oldest in second.text and newest not in second.text
    assert second.text.count("msg-unread") == 3  # each line's unread count, on its own page too


def test_recipients_are_listed_in_french_order(testapp, make_user, make_community):
    """« Élodie » between « Eliane » and « Zoé » in the list of people to write to (it came after « Z »)."""
    people = [make_user(first_name=first, last_name="Test") for first in ("Zoé", "Élodie", "Eliane", "Œlle", "Odile")]
    writer = make_user(first_name="Alice", last_name="Martin")
    make_community("Les Érables", members=[writer, *people])
    testapp.login(writer)
    page = testapp.get("/messagerie/nouveau").text
    positions = [page.index(f"{first} T.") for first in ("Eliane", "Élodie", "Odile", "Œlle", "Zoé")]
    assert positions == sorted(positions)


def test_the_archive_of_my_data_keeps_the_subjects_of_my_conversations(testapp, voisins):
    """« Mes données » gave the conversations as bare numbers: the subject Alice typed
    (« Colis « Chronopost » reçu pour vous 📦 ») was nowhere in her archive."""
    import io
    import json
    import zipfile

    alice, bob, *_ = voisins
    testapp.login(alice)
    start(testapp, [bob], "J’ai votre colis, passez ce soir.", subject="Colis « Chronopost » reçu pour vous 📦")
    archive = zipfile.ZipFile(io.BytesIO(testapp.get("/parametres/mes-donnees.zip").body))
    conversations = json.loads(archive.read("donnees.json"))["messagerie"]["conversations"]
    assert [c["sujet"] for c in conversations] == ["Colis « Chronopost » reçu pour vous 📦"]
    assert isinstance(conversations[0]["id"], int)


def test_an_empty_message_says_what_to_write(testapp, voisins, dbsession):
    """« Message : Ce champ est obligatoire. » told nothing: the page asks for the message."""
    alice, bob, *_ = voisins
    testapp.login(alice)
    page = start(testapp, [bob], text="  ", status=400)
    errors = [e.get_text(" ", strip=True) for e in page.html.select(".invalid-feedback")]
    assert errors == ["Écrivez votre message."], errors
    assert dbsession.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_the_sender_is_told_by_email_that_the_moderation_removed_a_message(testapp, voisins, dbsession, make_user,
                                                                          app_registry):
    """A removed message was replaced by « (message retiré par la modération) » and its sender
    learnt it only by reading the conversation again."""
    alice, bob, *_ = voisins
    testapp.login(alice)
    start(testapp, [bob], "Tu vas voir ce qui t’attend… 😠")
    start(testapp, [bob], "Pardon pour tout à l’heure 🙏", subject="Excuses")
    first, second = dbsession.scalars(sa.select(Message).order_by(Message.id)).all()
    for message in (first, second):
        dbsession.add(MessageReport(message_id=message.id, reporter_id=bob.id, reason="Menaçant"))
    dbsession.flush()
    to_remove, to_keep = dbsession.scalars(sa.select(MessageReport).order_by(MessageReport.id)).all()
    testapp.reset()
    testapp.login(make_user(first_name="Hélène", is_moderator=True))
    testapp.post_csrf(f"/messagerie/signalements/{to_remove.id}", {"action": "remove"}, status=303)
    testapp.post_csrf(f"/messagerie/signalements/{to_keep.id}", {"action": "keep"}, status=303)
    told = dbsession.scalars(sa.select(Notification).where(Notification.kind == "message_moderation")).all()
    assert [(n.recipient_id, n.channel, n.title) for n in told] == [
        (alice.id, "email", "Un de vos messages a été retiré")]
    body = told[0].body
    assert "« Tu vas voir ce qui t’attend… 😠 »" in body and "Absence" in body
    assert app_registry.settings["vvs.platform_email"] in body and "Pour contester" in body


def test_the_same_new_message_sent_twice_at_once_makes_one_conversation(testapp, voisins, dbsession):
    """Walk-through: three identical POSTs of « Nouveau message » (a double click, a form sent
    again by a slow connection) made three conversations with the same words; an alert's form
    has an idempotency key, this one had nothing. Within a minute, the same words to the same
    people are the same conversation; other words, or other people, are not."""
    alice, bob, carla, _outsider = voisins
    testapp.login(alice)
    first = start(testapp, [bob], "Pouvez-vous arroser mes géraniums ? 🌱", subject="Absence").location
    again = start(testapp, [bob], "Pouvez-vous arroser mes géraniums ? 🌱", subject="Absence").location
    assert again == first
    assert start(testapp, [bob, carla], "Pouvez-vous arroser mes géraniums ? 🌱", subject="Absence").location != first
    assert start(testapp, [bob], "Et mes tomates ?", subject="Absence").location != first
    assert dbsession.scalar(sa.select(sa.func.count(Conversation.id))) == 3
    assert dbsession.scalar(sa.select(sa.func.count(Message.id))) == 3


def test_the_reported_messages_are_read_a_page_at_a_time(testapp, voisins, dbsession, make_user):
    """« Messages signalés » listed every open report on one page, without a count: a busy week
    made one endless page."""
    alice, bob, *_ = voisins
    testapp.login(alice)
    start(testapp, [bob], "Premier message « signalé » 😠")
    message = dbsession.scalars(sa.select(Message)).one()
    for n in range(23):
        dbsession.add(MessageReport(message_id=message.id, reporter_id=bob.id, reason=f"Signalement n° {n:02d}",
                                    created_at=datetime(2026, 12, 7, 22, 30 + n % 30, n % 60, tzinfo=timezone.utc)))
    dbsession.flush()
    testapp.reset()
    testapp.login(make_user(first_name="Hélène", is_moderator=True))
    first = testapp.get("/messagerie/signalements").html
    assert "Messages signalés (23)" in first.select_one("h1").text
    assert len(first.select("main li.card")) == 20
    second = testapp.get(first.select_one('a[rel="next"]')["href"]).html
    assert len(second.select("main li.card")) == 3
    testapp.get("/messagerie/signalements?page=abc", status=200)
