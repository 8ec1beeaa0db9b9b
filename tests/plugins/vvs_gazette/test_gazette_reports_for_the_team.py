"""The gazette's moderation as the platform team and the authors live it: the moderators
find the reports of every community from their menu and home (they are members of no
community, and each gazette's moderation page was reached only by typing its address); an
author is told by e-mail why their post or reply was hidden."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from vvs_core.models import Notification

from vvs_gazette.moderation import report
from vvs_gazette.posts import add_reply, create_post


@pytest.fixture
def two_gazettes(make_user, make_community):
    alice, bob, oscar = (make_user(first_name=n) for n in ("Alice", "Bob", "Oscar"))
    tilleuls = make_community("Les Tilleuls", members=[alice, bob])
    loin = make_community("L’Île-aux-Œufs", centre=(2.80, 48.85), members=[oscar])
    return tilleuls, loin, alice, bob, oscar


def test_the_moderators_menu_leads_to_each_gazette_with_reports(testapp, dbsession, make_user, two_gazettes):
    tilleuls, loin, alice, bob, oscar = two_gazettes
    moderator = make_user(first_name="Hélène", is_moderator=True)
    testapp.login(moderator)
    assert "Annonces signalées" in testapp.get("/").text
    assert "Aucun signalement" in testapp.get("/gazette/signalements").text
    post = create_post(dbsession, tilleuls, alice, category="animal", title="Chat « Minou » perdu 🐱", text="…")
    report(dbsession, post, bob, "Doublon de l’annonce d’hier 🙄")
    far = create_post(dbsession, loin, oscar, category="annonce", title="Vélo", text="…")
    report(dbsession, far, oscar, "Erreur")
    report(dbsession, far, make_user(first_name="Zoé"), "Arnaque ?")
    dbsession.flush()
    home = testapp.get("/").html
    work = {a.text: a for a in home.select("[aria-labelledby=h-travail] a")}
    assert "(3 en attente)" in work["Annonces signalées"].parent.text
    page = testapp.get(work["Annonces signalées"]["href"]).html
    links = {a.text.strip(): a["href"] for a in page.select("main li a")}
    assert links == {"Les Tilleuls": f"/gazette/communaute/{tilleuls.id}/moderation",
                     "L’Île-aux-Œufs": f"/gazette/communaute/{loin.id}/moderation"}
    assert "2 signalements" in page.text and "1 signalement" in page.text
    assert "Doublon de l’annonce d’hier 🙄" in testapp.get(links["Les Tilleuls"]).text


def test_only_the_team_sees_every_gazettes_reports(testapp, two_gazettes):
    tilleuls, loin, alice, bob, oscar = two_gazettes
    assert "/connexion" in testapp.get("/gazette/signalements", status=302).location
    for user in (alice, oscar):
        testapp.login(user)
        assert "Annonces signalées" not in testapp.get("/").text
        page = testapp.get("/gazette/signalements", status=403)
        assert "Accès refusé" in page.text
        testapp.reset()


def test_the_author_is_told_by_email_why_the_post_was_hidden_then_restored(testapp, dbsession, make_user, two_gazettes):
    """A hidden post or reply was a silent decision: its author learnt it only by opening it
    again (an alert's author is told, with the way to contest)."""
    tilleuls, loin, alice, bob, oscar = two_gazettes
    moderator = make_user(first_name="Hélène", is_moderator=True)
    post = create_post(dbsession, tilleuls, alice, category="animal", title="Chat « Minou » perdu 🐱", text="…")
    reply = add_reply(dbsession, post, bob, "Vu rue de l’Église !")
    dbsession.flush()
    testapp.login(moderator)
    base = f"/gazette/communaute/{tilleuls.id}/annonce/{post.id}/moderer"
    testapp.post_csrf(base, {"action": "hide", "reason": "Doublon de l’annonce « Minou » d’hier 🙄"}, status=303)
    testapp.post_csrf(base, {"action": "hide", "reason": "Hors sujet", "reply_id": reply.id}, status=303)
    testapp.post_csrf(base, {"action": "restore", "reason": "Erreur de ma part"}, status=303)
    told = {(n.recipient_id, n.title): n for n in dbsession.scalars(
        sa.select(Notification).where(Notification.kind == "gazette_moderation"))}
    assert set(told) == {(alice.id, "Votre annonce a été masquée"), (bob.id, "Votre réponse a été masquée"),
                         (alice.id, "Votre annonce est de nouveau visible")}
    hidden = told[(alice.id, "Votre annonce a été masquée")]
    assert hidden.channel == "email"
    assert "« Chat « Minou » perdu 🐱 »" in hidden.body and "Motif : Doublon de l’annonce « Minou » d’hier 🙄" in hidden.body
    assert f"/gazette/communaute/{tilleuls.id}/annonce/{post.id}" in hidden.body and "Pour contester" in hidden.body
    assert "Pour contester" not in told[(alice.id, "Votre annonce est de nouveau visible")].body
    assert "Motif : Hors sujet" in told[(bob.id, "Votre réponse a été masquée")].body


@pytest.mark.parametrize("reason, told", [
    ("", "Indiquez le motif : il est envoyé à l'auteur."),
    ("   ", "Indiquez le motif : il est envoyé à l'auteur."),
    ("Hors\x00sujet", "caractères de contrôle invisibles"),
    ("é" * 1001, "1000 caractères au plus"),
])
def test_hiding_says_what_is_wrong_with_the_reason_and_changes_nothing(testapp, dbsession, make_user, two_gazettes,
                                                                       reason, told):
    """The reason goes to the author now: hiding needs one. A reason with a control character
    was answered « Action de modération invalide (le motif fait 1 000 caractères au plus) »."""
    tilleuls, loin, alice, bob, oscar = two_gazettes
    post = create_post(dbsession, tilleuls, alice, category="animal", title="Chat perdu", text="…")
    dbsession.flush()
    testapp.login(make_user(first_name="Hélène", is_moderator=True))
    answer = testapp.post_csrf(f"/gazette/communaute/{tilleuls.id}/annonce/{post.id}/moderer",
                               {"action": "hide", "reason": reason}, status=303).follow()
    flash = answer.html.select_one(".flash-error").text
    assert told in flash and "Rien n'a été changé." in flash
    dbsession.refresh(post)
    assert not post.hidden
    assert dbsession.scalar(sa.select(sa.func.count(Notification.id))
                            .where(Notification.kind == "gazette_moderation")) == 0
