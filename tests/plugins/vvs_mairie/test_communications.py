"""The mairie's communications: published in the gazettes, or sent by e-mail to chosen
communities. Both leave a trace in « Publiées »; an e-mailed one stays out of the
gazettes; its e-mails carry a stop link (also as ``List-Unsubscribe``, RFC 8058) that
works without signing in and can be undone."""
from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from vvs_core.web.batch import PageReads, read_later
from vvs_core.models.notification import Notification
from vvs_mairie.testing import agent_login, mairie  # noqa: F401

URL = "/mairie/77449/communications"
TITLE = "Réunion « sécurité » de l’œuvre 🎉"


def _request(testapp, dbsession):
    from pyramid.scripting import prepare

    request = prepare(registry=testapp.app.registry)["request"]
    request.dbsession = dbsession
    return request


def _messages(dbsession):
    return list(dbsession.scalars(select(Notification).where(Notification.kind == "mairie_message")
                                  .order_by(Notification.id)))


def test_an_emailed_communication_is_listed_and_stays_out_of_the_gazettes(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    testapp.post_csrf(URL, {"title": TITLE, "text": "Mardi 19 h, salle « Léo-Lagrange ».", "action": "message",
                            "communities": str(mairie.community.id)}, status=303)
    page = testapp.get(URL).text
    listed = re.search(r"<h2>Publiées</h2>(.*?)</section>", page, re.S).group(1)
    assert "Réunion « sécurité » de l’œuvre 🎉" in listed
    assert "Envoyée par e-mail à 3 habitants" in listed and mairie.community.name in listed
    request = SimpleNamespace(dbsession=dbsession, registry=testapp.app.registry, environ={},
                              page_reads=PageReads(dbsession))
    answers = testapp.app.registry.vvs_plugins.hook.vvs_gazette_items(request=request, community=mairie.community)
    assert not [i for i in read_later(request, answers)() if i.get("source") == "mairie"]
    testapp.post_csrf(URL, {"title": "Brocante", "text": "Dimanche.", "action": "publish"}, status=303)
    listed = re.search(r"<h2>Publiées</h2>(.*?)</section>", testapp.get(URL).text, re.S).group(1)
    assert "Brocante" in listed and "Dans les gazettes de la commune" in listed


def test_the_emails_carry_a_one_click_stop_that_holds(testapp, dbsession, mairie, agent_login):
    agent_login(testapp, mairie)
    testapp.post_csrf(URL, {"title": TITLE, "text": "Mardi 19 h.", "action": "message",
                            "communities": str(mairie.community.id)}, status=303)
    resident = mairie.residents[0]
    row = next(r for r in _messages(dbsession) if r.recipient_id == resident.id)
    mail = testapp.app.registry.vvs_plugins.hook.vvs_render_notification(
        request=_request(testapp, dbsession), notification=row, channel="email")
    assert mail["subject"] == row.title and mail["text"].startswith("Mardi 19 h.")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(http://localhost(/mairie/messages/arret/[^>]+))>", mail["headers"]["List-Unsubscribe"])
    assert link.group(1) in mail["text"]
    path = link.group(2)
    testapp.reset()
    assert "Ne plus recevoir les messages de la mairie" in testapp.get(path).text
    assert not (dbsession.get(type(resident), resident.id).notification_prefs or {}).get("mairie_message") == []
    done = testapp.post(path, {"List-Unsubscribe": "One-Click"})  # the mail client's: no session, no CSRF
    assert "Vous ne recevrez plus les messages de la mairie" in done.text
    dbsession.refresh(resident)
    assert resident.notification_prefs["mairie_message"] == []
    before = len(_messages(dbsession))
    agent_login(testapp, mairie)
    testapp.post_csrf(URL, {"title": "Encore", "text": "Jeudi.", "action": "message",
                            "communities": str(mairie.community.id)}, status=303)
    new = _messages(dbsession)[before:]
    assert len(new) == 2 and resident.id not in {r.recipient_id for r in new}
    testapp.reset()
    testapp.post(path, {"reprendre": "1"})
    dbsession.refresh(resident)
    assert "mairie_message" not in resident.notification_prefs


def test_a_wrong_stop_link_changes_nothing_and_says_the_same(testapp, dbsession, mairie):
    for token in ("1-" + "0" * 22, "%D9%A1-" + "A" * 22, "x" * 300, f"{mairie.residents[0].id}-" + "A" * 22):
        assert "Ne plus recevoir les messages de la mairie" in testapp.get(f"/mairie/messages/arret/{token}").text
        answer = testapp.post(f"/mairie/messages/arret/{token}", {"List-Unsubscribe": "One-Click"})
        assert "Vous ne recevrez plus les messages de la mairie" in answer.text
    for user in mairie.residents:
        dbsession.refresh(user)
        assert "mairie_message" not in (user.notification_prefs or {})


def test_a_stop_link_sent_before_the_signed_links_helper_still_stops(testapp, dbsession, mairie):
    """The e-mails already in inboxes carry the mairie's own HMAC (before
    vvs_core.web.links.signed): their one-click POST still stops, for that resident only;
    another purpose's token for the same id, or the old one changed, stops nobody and counts
    as a wrong link (the limit of 30 an hour, as before)."""
    import base64
    import hashlib
    import hmac

    from vvs_core.web.links import signed

    registry = testapp.app.registry
    target, other = mairie.residents[0], mairie.residents[1]
    digest = hmac.new(registry.settings["vvs.secret"].encode(), f"vvs-mairie-messages-stop:{target.id}".encode(),
                      hashlib.sha256).digest()
    old = f"{target.id}-{base64.urlsafe_b64encode(digest).decode().rstrip('=')[:22]}"
    wrong = [signed(registry, "rollcall-answer", other.id), signed(registry, "followers-stop", other.id),
             f"{other.id}{old[len(str(target.id)):]}", old[:-1], old + "%C3%A9", old.upper()]
    for n in range(5):
        for token in wrong:
            testapp.post(f"/mairie/messages/arret/{token}", {"List-Unsubscribe": "One-Click"},
                         extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    dbsession.refresh(other)
    assert "mairie_message" not in (other.notification_prefs or {})
    testapp.post(f"/mairie/messages/arret/{old}", {"List-Unsubscribe": "One-Click"},
                 extra_environ={"REMOTE_ADDR": "198.51.100.7"}, status=429)  # 30 wrong links: an hour off
    done = testapp.post(f"/mairie/messages/arret/{old}", {"List-Unsubscribe": "One-Click"})
    assert "Vous ne recevrez plus les messages de la mairie" in done.text
    dbsession.refresh(target)
    dbsession.refresh(other)
    assert target.notification_prefs["mairie_message"] == [] and "mairie_message" not in (other.notification_prefs or {})


def test_an_unknown_action_publishes_nothing(testapp, dbsession, mairie, agent_login):
    from vvs_mairie.models import MairieCommunication

    agent_login(testapp, mairie)
    for action in ("hack", "", "publier"):
        refused = testapp.post_csrf(URL, {"title": "Brocante", "text": "Dimanche.", "action": action}, status=400)
        assert "Choisissez : publier dans les gazettes ou envoyer par e-mail." in refused.text
        assert 'value="Brocante"' in refused.text
    assert dbsession.scalars(select(MairieCommunication)).all() == []
    assert _messages(dbsession) == []


def test_one_click_stops_from_one_mail_provider_all_hold(testapp, dbsession, mairie, make_user):
    """Gmail or Orange send the RFC 8058 one-click POSTs of all their users from a few servers: the
    35th resident's stop from the same address holds as the first did (it was refused from the 31st,
    so those residents kept receiving the messages they had stopped). Wrong links are still
    limited: past 30 from one address, that address is refused for an hour."""
    from vvs_mairie.messages import stop_token

    secret = testapp.app.registry.settings
    residents = [make_user(first_name="Zoé", last_name=f"N’Diaye-{n}") for n in range(35)]
    for resident in residents:
        done = testapp.post(f"/mairie/messages/arret/{stop_token(secret, resident.id)}", {"List-Unsubscribe": "One-Click"},
                            extra_environ={"REMOTE_ADDR": "209.85.220.41"})
        assert "Vous ne recevrez plus les messages de la mairie" in done.text
    for resident in residents:
        dbsession.refresh(resident)
        assert resident.notification_prefs["mairie_message"] == []
    for n in range(30):
        testapp.post(f"/mairie/messages/arret/{n + 1}-{'A' * 22}", {"List-Unsubscribe": "One-Click"},
                     extra_environ={"REMOTE_ADDR": "203.0.113.9"})
    refused = testapp.post(f"/mairie/messages/arret/{stop_token(secret, mairie.residents[0].id)}",
                           {"List-Unsubscribe": "One-Click"}, extra_environ={"REMOTE_ADDR": "203.0.113.9"}, status=429)
    assert "réessayez dans une heure" in refused.text
    dbsession.refresh(mairie.residents[0])
    assert "mairie_message" not in (mairie.residents[0].notification_prefs or {})
