"""Moderation in both modes: held alerts, approval, withdrawal, warnings, suspension,
reports, escalation and the audit trail."""
from datetime import timedelta

from sqlalchemy import select

from alerts_testing import commit_hooks
from vvs_alerts.models import AlertReport, ModerationAction, PostingSuspension
from vvs_core.clock import utcnow
from vvs_core.models import CommunityEvent, Notification
from vvs_core.testing import run_tasks


def _sent_to(dbsession, alert):
    return dbsession.scalars(select(Notification).where(Notification.subject_type == "alert", Notification.kind == "alert",
                                                        Notification.subject_id == alert.id)).all()


def test_pre_moderation_holds_until_a_referent_approves(app, dbsession, alert_request, post, make_user,
                                                         make_community, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "vvs.alerts.moderation", "pre")
    author, member, referent = make_user(), make_user(), make_user()
    community = make_community(members=[author, member], referents=[referent])
    alert = post(author, community)
    assert alert.status == "held"
    commit_hooks(alert_request)
    run_tasks()
    assert _sent_to(dbsession, alert) == []
    # the référent was told an alert waits
    assert dbsession.scalars(select(Notification).where(Notification.kind == "alert_held",
                                                        Notification.recipient_id == referent.id)).all()
    from vvs_alerts.moderation import moderate

    moderate(alert_request, alert, referent, "approve", "")
    commit_hooks(alert_request)
    run_tasks()
    assert alert.status == "published"
    assert {n.recipient_id for n in _sent_to(dbsession, alert)} == {member.id, referent.id}
    events = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "alert_approve")).all()
    assert len(events) == 1 and events[0].public is False


def test_escalation_to_moderators_after_the_delay(app, dbsession, alert_request, post, make_user, make_community,
                                                  monkeypatch):
    from vvs_alerts.moderation import escalate_held

    monkeypatch.setitem(app.registry.settings, "vvs.alerts.moderation", "pre")
    moderator = make_user(is_moderator=True)
    author = make_user()
    community = make_community(members=[author])
    alert = post(author, community)
    assert escalate_held(alert_request) == 0  # not yet
    later = utcnow() + timedelta(minutes=app.registry.settings["vvs.alerts.escalation_minutes"] + 1)
    assert escalate_held(alert_request, now=later) == 1
    assert escalate_held(alert_request, now=later) == 0  # once
    mails = dbsession.scalars(select(Notification).where(Notification.kind == "alert_escalation")).all()
    assert [(n.recipient_id, n.channel) for n in mails] == [(moderator.id, "email")]


def test_post_moderation_report_then_withdraw_warn_suspend(testapp, dbsession, make_user, make_community):
    author, member = make_user(), make_user()
    moderator = make_user(is_moderator=True)
    make_community(members=[author, member])
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    form = page.forms["alerte"]
    form["category"] = "autre"
    form["text"] = "Un individu louche rôde près de l'école depuis ce matin."
    url = form.submit("submit").location
    alert_id = int(url.rsplit("/", 1)[1])
    testapp.post_csrf("/deconnexion")
    testapp.login(member)
    page = testapp.get(url)
    assert "Signaler cette alerte" in page.text
    testapp.post_csrf(f"/alertes/{alert_id}/signaler", {"reason": "Description d'une personne, pas des faits."})
    assert dbsession.scalars(select(AlertReport)).one().reason.startswith("Description")
    testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "withdraw", "reason": "x"}, status=403)
    testapp.post_csrf("/deconnexion")
    testapp.login(moderator)
    queue = testapp.get("/alertes/moderation")
    assert "Un individu louche" in queue.text and "Description d'une personne" in queue.text
    empty = testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "withdraw", "reason": ""}).follow()
    assert "Indiquez le motif" in empty.text
    for action in ("withdraw", "warn", "suspend"):
        testapp.post_csrf(f"/alertes/{alert_id}/moderation",
                          {"action": action, "reason": "Décrivez des faits, pas des personnes.", "days": "3"})
    actions = dbsession.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [a.action for a in actions] == ["withdraw", "warn", "suspend"]
    assert actions[0].original_text.startswith("Un individu louche")
    assert dbsession.scalars(select(AlertReport)).one().handled
    assert dbsession.scalars(select(PostingSuspension)).one().user_id == author.id
    told = dbsession.scalars(select(Notification).where(Notification.kind == "alert_moderation",
                                                        Notification.recipient_id == author.id)).all()
    assert len(told) == 3 and all("Décrivez des faits" in n.body for n in told)
    audit = dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind.like("alert_%"))).all()
    assert {e.kind for e in audit} >= {"alert_reported", "alert_withdraw", "alert_warn", "alert_suspend"}
    assert not any(e.public for e in audit)
    # withdrawn: its link tells the members so, and shows nothing of it; the author's page no longer says « active »
    testapp.post_csrf("/deconnexion")
    testapp.login(author)
    author_page = testapp.get(url)
    assert "retirée par la modération" in author_page.text and "active jusqu" not in author_page.text
    testapp.post_csrf("/deconnexion")
    testapp.login(member)
    gone = testapp.get(url, status=410)
    assert gone.html.h1.get_text(strip=True) == "Cette alerte a été retirée par la modération"
    assert "louche" not in gone.text and "Signaler" not in gone.text
    testapp.post_csrf("/deconnexion")
    testapp.login(make_user(first_name="Noël", last_name="Brûlé"))  # neither a member nor reached
    testapp.get(url, status=403)


def test_the_queues_are_read_a_page_at_a_time(testapp, dbsession, make_user, make_community):
    """Issue 16.3: 25 held alerts, 20 a page, oldest first; the reported queue pages on
    its own parameter; each navigation has its own accessible name."""
    import uuid

    from vvs_alerts.models import Alert

    author, moderator = make_user(first_name="Zoé", last_name="Pagès"), make_user(is_moderator=True)
    community = make_community(members=[author])
    start = utcnow() - timedelta(hours=30)
    for n in range(25):
        dbsession.add(Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                            category="autre", text=f"Alerte retenue n° {n:02d} « près de l’école »",
                            created_at=start + timedelta(minutes=n), expires_at=start + timedelta(days=2),
                            status="held", idempotency_key=uuid.uuid4().hex))
    dbsession.flush()
    testapp.login(moderator)
    first = testapp.get("/alertes/moderation")
    assert "En attente de validation (25)" in first.text and "Page 1 sur 2" in first.text
    assert 'aria-label="Pages des alertes en attente"' in first.text
    assert "n° 00" in first.text and "n° 19" in first.text and "n° 20" not in first.text
    second = testapp.get("/alertes/moderation", {"page_held": "2"})
    assert "n° 20" in second.text and "n° 24" in second.text and "n° 19" not in second.text
    assert "Page 2 sur 2" in second.text and "Aucun signalement en cours." in second.text
    assert "Page 2 sur 2" in testapp.get("/alertes/moderation", {"page_held": "99", "page_reported": "x"}).text


def test_the_menus_count_of_alerts_waiting_for_moderation(dbsession, make_user, make_community):
    """The menu's badge (``queue_size_sql``): a référent counts the held alerts and the
    reported ones (not withdrawn, reports not handled) of the communities they lead, each
    once, held and reported alike; a moderator counts them everywhere (issue 16: read as
    two index reads, not an OR over every alert)."""
    import uuid

    from sqlalchemy import select as select_

    from vvs_alerts.models import Alert
    from vvs_alerts.moderation import queue_size_sql

    author, referent, moderator = make_user(), make_user(first_name="Élodie"), make_user(is_moderator=True)
    mine = make_community(name="Quartier de l’Église", members=[author], referents=[referent])
    other = make_community(name="Les Érables", members=[make_user()])

    def alert(community, status, *reports):
        row = Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id, category="autre",
                    text="Volet forcé « rue de l’École » 🚪", expires_at=utcnow() + timedelta(days=1), status=status,
                    idempotency_key=uuid.uuid4().hex)
        dbsession.add(row)
        dbsession.flush()
        dbsession.add_all(AlertReport(alert_id=row.id, reporter_id=author.id, handled=handled) for handled in reports)

    alert(mine, "held")
    alert(mine, "held", False, False)  # held and reported twice: once
    alert(mine, "published", False)
    alert(mine, "published", True)  # its report handled
    alert(mine, "withdrawn", False)
    alert(mine, "published")
    alert(other, "held", False)
    dbsession.flush()
    assert dbsession.scalar(select_(queue_size_sql(referent, [f"user:{referent.id}"]))) == 3
    assert dbsession.scalar(select_(queue_size_sql(moderator, ["role:moderator"]))) == 4
    assert dbsession.scalar(select_(queue_size_sql(author, [f"user:{author.id}"]))) == 0


def test_a_length_left_typed_in_the_form_is_no_error_for_another_action(testapp, dbsession, make_user, make_community,
                                                                       post):
    """The moderator typed « trois » in the suspension's length, then chose « Retirer »: the alert is
    withdrawn (the length is not read); an action no form offers, with a bad length, is refused in
    French and changes nothing — never « Erreur du serveur »."""
    author = make_user()
    community = make_community(members=[author, make_user()])
    alert = post(author, community, text="Un individu « louche » rôde près de l’école 🚨 depuis 23 h 30.")
    testapp.login(make_user(is_moderator=True))
    for action in ("<script>alert(1)</script>", "99999999999"):
        page = testapp.post_csrf(f"/alertes/{alert.id}/moderation",
                                 {"action": action, "reason": "Décrivez des faits « rue de l’Église » 🙏", "days": "abc"},
                                 status=303).follow()
        assert "Rien n'a été changé" in page.html.select_one(".flash-error").text and "<script>alert" not in page.text
    assert dbsession.scalars(select(ModerationAction)).all() == []
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "withdraw", "days": "trois",
                                                          "reason": "Décrivez des faits, pas des personnes 🙏"}, status=303)
    assert [a.action for a in dbsession.scalars(select(ModerationAction))] == ["withdraw"]


def _told(dbsession, author):
    return dbsession.scalars(select(Notification).where(Notification.kind == "alert_moderation",
                                                        Notification.recipient_id == author.id,
                                                        Notification.channel == "email")
                             .order_by(Notification.id)).all()


def _posted_by(testapp, author, category, text) -> int:
    """The id of an alert ``author`` posts through the form; signed out afterwards."""
    testapp.login(author)
    form = testapp.get("/alertes/nouvelle").forms["alerte"]
    form["category"], form["text"] = category, text
    alert_id = int(form.submit("submit").location.rsplit("/", 1)[1])
    testapp.post_csrf("/deconnexion")
    return alert_id


def test_the_author_is_told_what_was_decided_in_each_mode(testapp, dbsession, app, make_user, make_community,
                                                          monkeypatch):
    """Walk (staff) 8: keeping a reported alert is no « validée et envoyée », the motif goes
    with it, and only a decision against the author says how to contest it."""
    author, member = make_user(first_name="Hélène"), make_user(first_name="Noël")
    moderator = make_user(is_moderator=True)
    make_community(members=[author, member])
    alert_id = _posted_by(testapp, author, "demarchage", "Démarcheur « EDF » insistant rue de l’Église 🚪, il demande à entrer.")
    testapp.login(member)
    testapp.post_csrf(f"/alertes/{alert_id}/signaler", {"reason": "Ça ressemble à une pub 🤔"})
    testapp.post_csrf("/deconnexion")
    testapp.login(moderator)
    testapp.post_csrf(f"/alertes/{alert_id}/moderation",
                      {"action": "approve", "reason": "Alerte conforme à la charte : des faits, merci ! 👍"})
    kept = _told(dbsession, author)[-1]
    assert kept.title == "Votre alerte est maintenue"
    assert "a fait l'objet d'un signalement" in kept.body and "garde telle quelle" in kept.body
    assert "a été validée" not in kept.body and "Pour contester" not in kept.body
    assert "Motif : Alerte conforme à la charte : des faits, merci ! 👍" in kept.body
    testapp.post_csrf(f"/alertes/{alert_id}/moderation", {"action": "warn", "reason": "Restez factuel·le, s’il vous plaît."})
    warned = _told(dbsession, author)[-1]
    assert "Pour contester cette décision" in warned.body and "Restez factuel·le, s’il vous plaît." in warned.body
    # pre-moderation: the approval sends it, with or without a motif
    monkeypatch.setitem(app.registry.settings, "vvs.alerts.moderation", "pre")
    testapp.post_csrf("/deconnexion")
    held_id = _posted_by(testapp, author, "autre", "Chien perdu près de l’école « Les Tilleuls » 🐕")
    testapp.login(moderator)
    testapp.post_csrf(f"/alertes/{held_id}/moderation", {"action": "approve", "reason": ""})
    released = _told(dbsession, author)[-1]
    assert released.title == "Votre alerte a été validée"
    assert "a été validée et envoyée aux voisins." in released.body
    assert "Motif" not in released.body and "Pour contester" not in released.body


def test_a_withdrawn_alert_is_restored_and_a_held_one_goes_back_to_the_queue(testapp, dbsession, make_user,
                                                                           make_community):
    """A withdrawal by mistake was final: « Rétablir » makes a sent alert visible again (its
    cancelled messages do not leave again), puts an alert withdrawn before its validation back
    « en attente » in the queue, tells the author, and is journalled like every decision."""
    import uuid

    from vvs_alerts.models import Alert

    author, member, moderator = make_user(), make_user(), make_user(is_moderator=True)
    community = make_community(members=[author, member])
    now = utcnow()
    sent, held = (Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                        category="demarchage", text=f"Faux plombiers « Eaux de France » n° {n}", created_at=now,
                        published_at=now if status == "published" else None, expires_at=now + timedelta(hours=6),
                        status=status, idempotency_key=uuid.uuid4().hex) for n, status in ((1, "published"), (2, "held")))
    dbsession.add_all([sent, held])
    dbsession.flush()
    testapp.login(moderator)
    for alert in (sent, held):
        testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "withdraw", "reason": "Doublon ?"})
    page = testapp.get(f"/alertes/{sent.id}")
    assert page.html.select_one("button[value=restore]").get_text(strip=True) == "Rétablir l'alerte"
    empty = testapp.post_csrf(f"/alertes/{sent.id}/moderation", {"action": "restore", "reason": ""}).follow()
    assert "Indiquez le motif" in empty.text
    dbsession.refresh(sent)
    assert sent.status == "withdrawn"
    done = testapp.post_csrf(f"/alertes/{sent.id}/moderation",
                             {"action": "restore", "reason": "Retrait par erreur : ce n’est pas un doublon."}).follow()
    assert "Rétablie : l'auteur en est informé." in done.text
    dbsession.refresh(sent)
    assert sent.status == "published" and "button" not in str(done.html.select_one("button[value=restore]") or "")
    again = testapp.post_csrf(f"/alertes/{sent.id}/moderation", {"action": "restore", "reason": "Encore"}).follow()
    assert "Seule une alerte retirée peut être rétablie." in again.text
    testapp.post_csrf(f"/alertes/{held.id}/moderation", {"action": "restore", "reason": "Retrait par erreur"})
    dbsession.refresh(held)
    assert held.status == "held" and "Faux plombiers « Eaux de France » n° 2" in testapp.get("/alertes/moderation").text
    assert [a.action for a in dbsession.scalars(select(ModerationAction).where(ModerationAction.alert_id == sent.id)
                                                .order_by(ModerationAction.id))] == ["withdraw", "restore"]
    told = dbsession.scalars(select(Notification).where(Notification.kind == "alert_moderation",
                                                        Notification.recipient_id == author.id)
                             .order_by(Notification.id)).all()
    assert told[-2].title == "Votre alerte est rétablie" and "ce n’est pas un doublon" in told[-2].body
    assert "contester" not in told[-2].body.lower()
    assert dbsession.scalars(select(CommunityEvent).where(CommunityEvent.kind == "alert_restore")).all()
    # a member opens the restored alert again
    testapp.reset()
    testapp.login(member)
    assert "Faux plombiers" in testapp.get(f"/alertes/{sent.id}").text
