"""Sanctions a charter can rely on: the length typed is validated on the server (1–365
days), so is the reason; one suspension in force per person, moved rather than stacked;
lifted by a moderator; e-mails say until when and how to contest; the history pages;
two moderators at once get one result and a French message, never a 500."""
import threading
import uuid
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import delete, func, select

from vvs_alerts.models import Alert, ModerationAction, PostingSuspension
from vvs_core.clock import utcnow
from vvs_core.models import Notification
from vvs_core.web.timefmt import dates

LONG_REASON = "Propos déplacés envers un voisin « très » gênants 😡. " * 400  # ~20 000 characters


def _alert(dbsession, community, author, status="published", text="Cambriolage au 5 rue de Lagny, porte fracturée."):
    now = utcnow()
    alert = Alert(community_id=community.id, commune_id=community.commune_id, author_id=author.id,
                  category="cambriolage", text=text, severity="moderate", created_at=now,
                  published_at=now if status == "published" else None, expires_at=now + timedelta(hours=24),
                  status=status, idempotency_key=uuid.uuid4().hex, source="web")
    dbsession.add(alert)
    dbsession.flush()
    return alert


@pytest.fixture
def scene(testapp, dbsession, make_user, make_community):
    author, moderator = make_user(first_name="Élodie"), make_user(is_moderator=True, first_name="Modé")
    community = make_community(members=[author])
    alert = _alert(dbsession, community, author)
    testapp.login(moderator)
    return author, moderator, community, alert


def _counts(dbsession):
    return (dbsession.scalar(select(func.count()).select_from(PostingSuspension)),
            dbsession.scalar(select(func.count()).select_from(ModerationAction)),
            dbsession.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "alert_moderation")))


@pytest.mark.parametrize("days", ["-5", "0", "999999", "abc", "", "3.5", "366", " ", "1e2", "٣", "²", "7 jours"])
def test_a_bad_length_is_refused_and_nothing_changes(testapp, dbsession, scene, days):
    author, moderator, community, alert = scene
    page = testapp.post_csrf(f"/alertes/{alert.id}/moderation",
                             {"action": "suspend", "reason": "Propos déplacés.", "days": days}).follow()
    assert "nombre entier de jours, de 1 à 365" in page.text
    assert _counts(dbsession) == (0, 0, 0)


@pytest.mark.parametrize("fields, said", [
    ({"action": "supprimer"}, "Action de modération inconnue"),
    ({"action": "suspend", "days": "3", "seen": "-1"}, "rechargez-la"),
    ({"action": "warn", "seen": "٣"}, "rechargez-la"),
    ({"action": "warn", "seen": "9" * 30}, "rechargez-la"),
    ({"action": "suspend", "days": "3\x01"}, "nombre entier de jours"),
    ({"action": "warn", "reason": "a\x07b"}, "caractères de contrôle"),
])
def test_hostile_moderation_fields_change_nothing(testapp, dbsession, scene, fields, said):
    author, moderator, community, alert = scene
    page = testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"reason": "Propos déplacés.", **fields}).follow()
    assert said in page.text
    assert _counts(dbsession) == (0, 0, 0)


def test_files_sent_as_moderation_fields_change_nothing(testapp, dbsession, scene):
    """A file counts as an empty field: no action, no length; as « back », the alert's page."""
    author, moderator, community, alert = scene
    for name in ("action", "days"):
        fields = {"action": "suspend", "reason": "Propos déplacés.", "days": "3"}
        del fields[name]
        testapp.post_csrf(f"/alertes/{alert.id}/moderation", fields, upload_files=[(name, "x.txt", b"suspend")],
                          status=303)
        assert _counts(dbsession) == (0, 0, 0), name
    answer = testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "warn", "reason": "Propos déplacés."},
                               upload_files=[("back", "x.txt", b"queue"), ("seen", "y.txt", b"1")], status=303)
    assert answer.location.endswith(f"/alertes/{alert.id}") and _counts(dbsession)[1] == 1
    dbsession.execute(delete(PostingSuspension))
    suspension = PostingSuspension(user_id=author.id, moderator_id=moderator.id, reason="Propos.",
                                   created_at=utcnow(), until=utcnow() + timedelta(days=3))
    dbsession.add(suspension)
    dbsession.flush()
    answer = testapp.post_csrf(f"/alertes/moderation/sanctions/{suspension.id}", {"what": "lift", "reason": "Excuses."},
                               upload_files=[("back", "x.txt", b"12")], status=303)
    assert answer.location.endswith("/alertes/moderation/sanctions")


def test_a_reason_longer_than_1000_characters_is_refused_everywhere(testapp, dbsession, scene, make_user):
    author, moderator, community, alert = scene
    from vvs_core.models import Membership

    neighbour = make_user()
    dbsession.add(Membership(user_id=neighbour.id, community_id=community.id, status="active"))
    dbsession.flush()
    for action in ("withdraw", "warn", "suspend"):
        page = testapp.post_csrf(f"/alertes/{alert.id}/moderation",
                                 {"action": action, "reason": LONG_REASON, "days": "3"}).follow()
        assert "Motif trop long : 1000 caractères au plus" in page.text
    dbsession.refresh(alert)
    assert alert.status == "published"
    assert _counts(dbsession) == (0, 0, 0)
    testapp.reset()
    testapp.login(neighbour)
    page = testapp.post_csrf(f"/alertes/{alert.id}/signaler", {"reason": LONG_REASON}).follow()
    assert "Signalement trop long" in page.text
    from vvs_alerts.models import AlertReport

    assert dbsession.scalar(select(func.count()).select_from(AlertReport)) == 0


def test_suspending_again_moves_the_end_and_never_stacks(testapp, dbsession, scene, clock):
    author, moderator, community, alert = scene
    clock.set_local(2026, 7, 14, 23, 30)
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "suspend", "reason": "Propos déplacés.", "days": "3"})
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "suspend", "reason": "Récidive.", "days": "10"})
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "suspend", "reason": "Excuses reçues.", "days": "1"})
    suspension = dbsession.scalars(select(PostingSuspension)).one()
    assert suspension.until == utcnow() + timedelta(days=1) and suspension.reason == "Excuses reçues."
    mails = dbsession.scalars(select(Notification).where(Notification.kind == "alert_moderation",
                                                         Notification.recipient_id == author.id)
                              .order_by(Notification.id)).all()
    assert [m.title for m in mails] == ["Publication d'alertes suspendue", "Suspension prolongée", "Suspension raccourcie"]
    assert "jusqu'au 17/07/2026 à 23:30" in mails[0].body  # Paris time, summer
    assert "jusqu'au 24/07/2026 à 23:30" in mails[1].body
    assert "jusqu'au 15/07/2026 à 23:30" in mails[2].body
    assert all("Pour contester cette décision" in m.body for m in mails)
    entries = dbsession.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [("suspend", author.id)] * 3
    # the author is told until when on the form
    testapp.reset()
    testapp.login(author)
    page = testapp.get("/alertes/nouvelle")
    form = page.forms["alerte"]
    form["category"] = "autre"
    form["text"] = "Un individu louche rôde près de l'école depuis ce matin."
    refused = form.submit("submit")
    assert "suspendue jusqu'au 15/07/2026 à 23:30" in refused.text


def test_sanctions_page_change_and_lift(testapp, dbsession, scene):
    author, moderator, community, alert = scene
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "suspend", "reason": "Propos déplacés.", "days": "7"})
    suspension = dbsession.scalars(select(PostingSuspension)).one()
    page = testapp.get("/alertes/moderation/sanctions")
    assert "Élodie" in page.text and "Propos déplacés." in page.text
    seen = dates.utc_iso(suspension.until)
    url = f"/alertes/moderation/sanctions/{suspension.id}"
    for bad in ({"what": "change", "days": "0", "reason": "x"}, {"what": "change", "days": "5", "reason": ""},
                {"what": "lift", "reason": LONG_REASON}, {"what": "nimporte", "reason": "x"}):
        answer = testapp.post_csrf(url, {**bad, "seen_until": seen}).follow()
        assert "flash error" in answer.text or "error" in answer.text
    dbsession.refresh(suspension)
    assert suspension.until.isoformat() == dbsession.scalars(select(PostingSuspension)).one().until.isoformat()
    assert suspension.lifted_at is None
    changed = testapp.post_csrf(url, {"what": "change", "days": "30", "reason": "Récidive constatée.",
                                      "seen_until": seen}).follow()
    assert "Suspension modifiée" in changed.text
    # a form that saw the old end is refused: someone else changed it meanwhile
    stale = testapp.post_csrf(url, {"what": "lift", "reason": "Excuses.", "seen_until": seen}).follow()
    assert "Un autre modérateur vient de modifier cette suspension" in stale.text
    dbsession.refresh(suspension)
    assert suspension.lifted_at is None
    lifted = testapp.post_csrf(url, {"what": "lift", "reason": "Excuses présentées au voisin.",
                                     "seen_until": dates.utc_iso(suspension.until)}).follow()
    assert "Suspension levée" in lifted.text and "Aucune suspension en cours" in lifted.text
    again = testapp.post_csrf(url, {"what": "lift", "reason": "Encore."}).follow()
    assert "déjà été levée par Modé" in again.text
    from vvs_alerts.posting import active_suspension

    assert active_suspension(dbsession, author.id) is None
    history = testapp.get(f"/alertes/moderation/membres/{author.id}")
    for text in ("Suspension levée", "Excuses présentées au voisin.", "Récidive constatée.", "Propos déplacés."):
        assert text in history.text
    alert_history = testapp.get(f"/alertes/{alert.id}/moderation/historique")
    assert "Publication suspendue" in alert_history.text and "Suspension levée" in alert_history.text
    told = dbsession.scalars(select(Notification.title).where(Notification.recipient_id == author.id,
                                                              Notification.kind == "alert_moderation")).all()
    assert "Vous pouvez de nouveau lancer des alertes" in told
    testapp.get("/alertes/moderation/membres/999999999", status=404)
    testapp.get("/alertes/moderation/membres/99999999999999", status=404)
    # an id no row can have is a 404 on every route (vvs_core.web.errorpages.refuse_impossible_ids)
    testapp.post_csrf("/alertes/moderation/sanctions/99999999999999", {"what": "lift", "reason": "x"}, status=404)


def test_a_form_that_saw_an_older_journal_is_refused(testapp, dbsession, scene):
    author, moderator, community, alert = scene
    page = testapp.get(f"/alertes/{alert.id}")
    seen = next(f["seen"].value for f in page.forms.values() if "seen" in f.fields)
    testapp.post_csrf(f"/alertes/{alert.id}/moderation", {"action": "warn", "reason": "Restez factuel.", "seen": seen})
    second = testapp.post_csrf(f"/alertes/{alert.id}/moderation",
                               {"action": "withdraw", "reason": "Hors charte.", "seen": seen}).follow()
    assert "vient d'agir sur cette alerte (Avertissement" in second.text
    dbsession.refresh(alert)
    assert alert.status == "published"
    assert [e.action for e in dbsession.scalars(select(ModerationAction))] == ["warn"]


def test_two_moderators_at_once_one_result_and_a_message(app, db_url):
    """Real transactions in parallel, on SQLite and on PostGIS: two moderators withdraw the
    same alert and suspend its author from the same page at the same moment, then one
    lifts the suspension while the other lengthens it from the sanctions page."""
    from vvs_core.geo import square_around
    from vvs_core.models import Commune, Community, CommunityEvent, Membership, User, get_engine, get_session_factory
    from vvs_core.accounts.security import hash_password
    from vvs_core.testing import DEMO_PASSWORD, VVSTestApp

    engine = get_engine(db_url, pool_size=6)
    factory = get_session_factory(engine)
    saved = app.registry["dbsession_factory"]
    tag = uuid.uuid4().hex[:8]
    with factory() as s:
        commune = Commune(insee="98" + tag[:3], name="Concurrence", centre=square_around((2.1, 48.1), 10).centroid)
        s.add(commune)
        s.flush()
        community = Community(commune_id=commune.id, name=f"Concurrence {tag}", boundary=square_around((2.1, 48.1), 300))
        users = [User(email=f"{who}-{tag}@example.test", password_hash=hash_password(DEMO_PASSWORD), first_name=who,
                      is_moderator=who != "auteur") for who in ("auteur", "modo1", "modo2")]
        s.add(community)
        s.add_all(users)
        s.flush()
        s.add(Membership(user_id=users[0].id, community_id=community.id, status="active"))
        alerts = [_alert(s, community, users[0]) for _ in range(2)]
        s.commit()
        ids = {"commune": commune.id, "community": community.id, "users": [u.id for u in users],
               "alerts": [a.id for a in alerts]}
    app.registry["dbsession_factory"] = factory
    try:
        clients = []
        for who in ("modo1", "modo2"):
            client = VVSTestApp(app)
            client.login(f"{who}-{tag}@example.test")
            clients.append(client)
        for alert_id, params in ((ids["alerts"][0], {"action": "withdraw"}),
                                 (ids["alerts"][1], {"action": "suspend", "days": "5"})):
            pages = [c.get(f"/alertes/{alert_id}") for c in clients]
            forms = [next(f for f in p.forms.values() if "seen" in f.fields) for p in pages]
            barrier = threading.Barrier(2)
            answers = []

            def one(client, form):
                t = webtest.TestApp(app, cookiejar=client.t.cookiejar)
                fields = dict(form.submit_fields())
                fields.update(params, reason="Hors charte : description d'une personne.")
                barrier.wait()
                answers.append(t.post(f"/alertes/{alert_id}/moderation", fields, expect_errors=True))

            threads = [threading.Thread(target=one, args=(c, f)) for c, f in zip(clients, forms)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(a.status_int for a in answers) == [303, 303]
            flashes = [webtest.TestApp(app, cookiejar=c.t.cookiejar).get(f"/alertes/{alert_id}").text for c in clients]
            assert sum("vient d'agir sur cette alerte" in f for f in flashes) == 1, params
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(ModerationAction)
                            .where(ModerationAction.alert_id.in_(ids["alerts"]))) == 2
            suspension = s.scalars(select(PostingSuspension).where(PostingSuspension.user_id == ids["users"][0])).one()
            seen = dates.utc_iso(suspension.until)
        # the same member, from the sanctions page: one lifts, the other lengthens, at once
        barrier = threading.Barrier(2)
        answers = []

        def act(client, params):
            t = webtest.TestApp(app, cookiejar=client.t.cookiejar)
            params = {**params, "seen_until": seen, "csrf_token": client.csrf()}
            barrier.wait()
            answers.append(t.post(f"/alertes/moderation/sanctions/{suspension.id}", params, expect_errors=True))

        threads = [threading.Thread(target=act, args=(clients[0], {"what": "lift", "reason": "Excuses présentées."})),
                   threading.Thread(target=act, args=(clients[1], {"what": "change", "days": "30",
                                                                    "reason": "Récidive constatée."}))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(a.status_int for a in answers) == [303, 303]
        flashes = [webtest.TestApp(app, cookiejar=c.t.cookiejar).get("/alertes/moderation/sanctions").text
                   for c in clients]
        # the second reads who acted first: « Un autre modérateur vient de modifier… » or « … déjà été levée par modo1 »
        assert sum(("Un autre modérateur vient de modifier cette suspension" in f or "a déjà été levée par modo" in f)
                   and "Rien n'a été changé" in f for f in flashes) == 1
        assert sum(("Suspension levée" in f or "Suspension modifiée" in f) for f in flashes) == 1
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(PostingSuspension)
                            .where(PostingSuspension.user_id == ids["users"][0])) == 1
            # withdraw, suspend, and one of lift / change: never both
            assert s.scalar(select(func.count()).select_from(ModerationAction)
                            .where(ModerationAction.user_id == ids["users"][0])) == 3
    finally:
        app.registry["dbsession_factory"] = saved
        with factory() as s:
            s.execute(delete(Notification).where(Notification.recipient_id.in_(ids["users"])))
            s.execute(delete(ModerationAction).where(ModerationAction.user_id == ids["users"][0]))
            s.execute(delete(PostingSuspension).where(PostingSuspension.user_id == ids["users"][0]))
            s.execute(delete(CommunityEvent).where(CommunityEvent.community_id == ids["community"]))
            s.execute(delete(CommunityEvent).where(CommunityEvent.subject_user_id.in_(ids["users"])))
            s.execute(delete(CommunityEvent).where(CommunityEvent.actor_id.in_(ids["users"])))
            from vvs_alerts.models import AlertReport

            s.execute(delete(AlertReport).where(AlertReport.alert_id.in_(ids["alerts"])))
            s.execute(delete(Alert).where(Alert.id.in_(ids["alerts"])))
            s.execute(delete(Membership).where(Membership.community_id == ids["community"]))
            s.execute(delete(Community).where(Community.id == ids["community"]))
            s.execute(delete(User).where(User.id.in_(ids["users"])))
            s.execute(delete(Commune).where(Commune.id == ids["commune"]))
            s.commit()
        engine.dispose()
