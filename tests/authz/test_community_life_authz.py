"""Who may open the community-life pages (gazette) of a community."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from vvs_core.models import Membership

from vvs_gazette.posts import add_reply, create_post

from new_conversation import post_new_conversation


@pytest.fixture
def world(make_user, make_community, dbsession):
    author = make_user(first_name="Camille", last_name="Canari", mobile="+33611223344",
                       address_label="12 rue du Canari")
    member = make_user()
    referent = make_user()
    other_member, other_referent = make_user(), make_user()
    pending, stranger = make_user(), make_user()
    moderator, admin = make_user(is_moderator=True), make_user(is_admin=True)
    here = make_community("Ici", members=[author, member], referents=[referent])
    make_community("Ailleurs", centre=(2.80, 48.85), members=[other_member], referents=[other_referent])
    dbsession.add(Membership(user_id=pending.id, community_id=here.id, status="pending"))
    post = create_post(dbsession, here, author, category="annonce", title="Vélo", text="À vendre")
    reply = add_reply(dbsession, post, member, "Intéressé")
    dbsession.flush()
    return dict(here=here, post=post, reply=reply, author=author, member=member, referent=referent,
                other_member=other_member, other_referent=other_referent, pending=pending,
                stranger=stranger, moderator=moderator, admin=admin)


GAZETTE_GETS = {
    # route tail: {role: expected status}
    "": dict(member=200, referent=200, moderator=200, admin=200),
    "/ajouter": dict(member=200, referent=200, moderator=403, admin=200),
    "/moderation": dict(member=403, referent=200, moderator=200, admin=200),
    "/annonce/{post}": dict(member=200, referent=200, moderator=200, admin=200),
    "/annonce/{post}/modifier": dict(member=403, referent=403, moderator=403, admin=403, author=200),
    "/annonce/{post}/signaler": dict(member=200, referent=200, moderator=403, admin=200),
}
OUTSIDERS = ("stranger", "pending", "other_member", "other_referent")


def _url(world, tail):
    return f"/gazette/communaute/{world['here'].id}" + tail.format(post=world["post"].id)


def test_gazette_pages(testapp, world):
    for tail in GAZETTE_GETS:
        assert testapp.get(_url(world, tail), status=302).location.startswith("http://localhost/connexion")
    for role in (*OUTSIDERS, "author", "member", "referent", "moderator", "admin"):
        testapp.reset()
        testapp.login(world[role])
        for tail, spec in GAZETTE_GETS.items():
            expected = 403 if role in OUTSIDERS else spec.get(role, spec["member"])
            response = testapp.get(_url(world, tail), expect_errors=True)
            assert response.status_int == expected, (role, tail, response.status_int)


GAZETTE_POSTS = [
    ("/annonce/{post}", {"text": "coucou"}),
    ("/annonce/{post}/supprimer", {}),
    ("/annonce/{post}/signaler", {"reason": "spam"}),
    ("/annonce/{post}/moderer", {"action": "hide", "reason": "x"}),
    ("/ajouter", {"category": "annonce", "title": "t", "text": "t"}),
]


def test_gazette_posts_refused_to_outsiders(testapp, world):
    for tail, params in GAZETTE_POSTS:
        testapp.post(_url(world, tail), params, status=403)  # anonymous: no session, no CSRF token
    for role in OUTSIDERS:
        testapp.reset()
        testapp.login(world[role])
        for tail, params in GAZETTE_POSTS:
            testapp.post_csrf(_url(world, tail), params, status=403)


def test_gazette_photo_and_feed(testapp, world):
    base = f"/gazette/communaute/{world['here'].id}"
    testapp.get(f"{base}/annonce/{world['post'].id}/photo/1", status=302)
    testapp.login(world["other_member"])
    testapp.get(f"{base}/annonce/{world['post'].id}/photo/1", status=403)
    testapp.get(f"{base}/agenda.ics", {"u": world["other_member"].id, "t": "0" * 40}, status=404)


def test_post_of_another_community_is_404(testapp, world, make_community, dbsession):
    testapp.login(world["other_member"])
    other_id = dbsession.scalar(sa.select(Membership.community_id).where(
        Membership.user_id == world["other_member"].id))
    testapp.get(f"/gazette/communaute/{other_id}/annonce/{world['post'].id}", status=404)


# --- Messagerie -----------------------------------------------------------------

def test_messaging_pages(testapp, world):
    for url in ("/messagerie", "/messagerie/nouveau", "/messagerie/signalements"):
        assert testapp.get(url, status=302).location.startswith("http://localhost/connexion")
    expected = {  # role: (inbox, new, reports)
        "member": (200, 200, 403), "referent": (200, 200, 403), "other_member": (200, 200, 403),
        "other_referent": (200, 200, 403), "pending": (403, 403, 403), "stranger": (403, 403, 403),
        "moderator": (403, 403, 200), "admin": (200, 200, 200),
    }
    for role, statuses in expected.items():
        testapp.reset()
        testapp.login(world[role])
        for url, status in zip(("/messagerie", "/messagerie/nouveau", "/messagerie/signalements"), statuses):
            testapp.get(url, status=status)


def test_non_twinned_member_cannot_start_a_conversation(testapp, world, dbsession):
    from vvs_messaging.models import Conversation

    testapp.login(world["other_member"])
    page = post_new_conversation(testapp, world["author"].id, "Salut")
    assert "Vous ne pouvez pas écrire" in page.text and "Camille" not in page.text
    assert dbsession.scalar(sa.select(sa.func.count(Conversation.id))) == 0


def test_conversation_routes_of_others_are_404(testapp, world, dbsession):
    from vvs_messaging.models import Conversation, Message, Participant

    conversation = Conversation(subject="privé")
    conversation.participants = [Participant(user_id=world["author"].id), Participant(user_id=world["member"].id)]
    dbsession.add(conversation)
    dbsession.flush()
    message = Message(conversation_id=conversation.id, sender_id=world["author"].id, text="secret")
    dbsession.add(message)
    dbsession.flush()
    testapp.get(f"/messagerie/conversation/{conversation.id}", status=302)
    for role in ("referent", "other_member", "moderator", "stranger"):
        testapp.reset()
        testapp.login(world[role])
        testapp.get(f"/messagerie/conversation/{conversation.id}", status=404)
        testapp.get(f"/messagerie/message/{message.id}/signaler", status=404)
    testapp.reset()
    testapp.login(world["member"])
    testapp.get(f"/messagerie/conversation/{conversation.id}", status=200)
    testapp.post_csrf(f"/messagerie/bloquer/{world['author'].id}", status=303)
    testapp.post_csrf(f"/messagerie/debloquer/{world['author'].id}", status=303)
    testapp.post_csrf("/messagerie/signalements/1", {"action": "keep"}, status=403)


def test_twinned_member_never_sees_real_name_phone_or_address(testapp, world, dbsession, plug):
    """Through whatever plugin answers vvs_messageable_users with "pseudonym" (the
    twinning plugin in production; a stand-in here so this test does not depend on it)."""
    from vvs_core import hookimpl

    author, outsider = world["author"], world["other_member"]

    class Twinned:
        @hookimpl
        def vvs_messageable_users(self, request, user):
            return [(author.id, "pseudonym")] if user.id == outsider.id else [(outsider.id, "pseudonym")]

    plug(Twinned())
    testapp.login(outsider)
    form = testapp.get("/messagerie/nouveau").forms["new-conversation"]
    for box in form.fields["checkbox"]:
        box.checked = box._value == str(author.id)
    form["text"] = "Bonjour"
    page = form.submit("submit").maybe_follow()
    for html in (page.text, testapp.get("/messagerie").text, testapp.get("/messagerie/nouveau").text):
        for canary in ("Camille", "Canari", "+33611223344", "06 11 22 33 44", "12 rue du Canari"):
            assert canary not in html
        assert author.display_pseudonym in html
    testapp.get(f"/gazette/communaute/{world['here'].id}", status=403)


def test_the_gazettes_reports_of_every_community_are_the_platform_teams(testapp, world):
    """/gazette/signalements names the communities whose gazette has reports: the team's only."""
    assert testapp.get("/gazette/signalements", status=302).location.startswith("http://localhost/connexion")
    for role in (*OUTSIDERS, "author", "member", "referent"):
        testapp.reset()
        testapp.login(world[role])
        assert "Accès refusé" in testapp.get("/gazette/signalements", status=403).text, role
    for role in ("moderator", "admin"):
        testapp.reset()
        testapp.login(world[role])
        testapp.get("/gazette/signalements", status=200)
