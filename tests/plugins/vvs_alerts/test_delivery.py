"""Audience, fan-out through the outbox, updates and the all-clear, expiry."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts_testing import commit_hooks
from vvs_core.clock import aware, utcnow
from vvs_core.hooktypes import Recipient
from vvs_core.models import Notification
from vvs_core.notify.outbox import format_reach, reach_summary
from vvs_core.plugins import hookimpl
from vvs_core.testing import mail_text, read_mails, run_tasks


class EmailOnlyRecipients:
    """A plugin answering the hook the way twinning does: e-mail only."""

    def __init__(self, user_id):
        self.user_id = user_id

    @hookimpl
    def vvs_alert_recipients(self, request, alert):
        return [Recipient(self.user_id, channels=("email",), reason="jumelage")]


@pytest.fixture
def hook_recipient(app):
    added = []

    def add(user_id):
        plugin = EmailOnlyRecipients(user_id)
        app.registry.vvs_plugins.register(plugin)
        added.append(plugin)

    yield add
    for plugin in added:
        app.registry.vvs_plugins.unregister(plugin)


def rows(dbsession, subject_type, subject_id):
    return dbsession.scalars(select(Notification).where(Notification.subject_type == subject_type,
                                                        Notification.subject_id == subject_id)).all()


def test_vvs_alert_recipients(app, dbsession, alert_request, post, make_user, make_community, hook_recipient):
    author, sms_only, no_prefs, refuses_all = make_user(), make_user(), make_user(), make_user()
    sms_only.notification_prefs = {"alert": ["sms"]}
    refuses_all.notification_prefs = {"alert": []}
    outsider = make_user(notification_prefs={"alert": ["sms", "email"]})
    community = make_community(members=[author, sms_only, no_prefs, refuses_all])
    hook_recipient(outsider.id)
    alert = post(author, community)
    commit_hooks(alert_request)
    run_tasks()
    got = {(n.recipient_id, n.channel) for n in rows(dbsession, "alert", alert.id)}
    assert got == {(sms_only.id, "sms"), (no_prefs.id, "sms"), (no_prefs.id, "email"),
                   (refuses_all.id, "sms"),  # nobody opts out of alerts entirely
                   (outsider.id, "email")}   # the hook allowed e-mail only
    assert all(n.expires_at is not None for n in rows(dbsession, "alert", alert.id))


class PseudonymRecipient:
    """A plugin adding someone outside the community, to whom people are named by pseudonym."""

    def __init__(self, user_id):
        self.user_id = user_id

    @hookimpl
    def vvs_alert_recipients(self, request, alert):
        return [Recipient(self.user_id, channels=("sms", "email", "voice"), reason="test", shown="pseudonym")]


def test_a_recipient_shown_pseudonyms_gets_them_on_every_channel_and_no_link(
        app, dbsession, alert_request, post, make_user, make_community):
    from types import SimpleNamespace

    from vvs_alerts.texts import push_text, voice_text

    author = make_user(first_name="Hélène", last_name="Œuvre", pseudonym="chouette🦉")
    member, outsider = make_user(), make_user(notification_prefs={"alert": ["sms", "email"]})
    community = make_community(name="Le Bourg", members=[author, member])
    plugin = PseudonymRecipient(outsider.id)
    app.registry.vvs_plugins.register(plugin)
    try:
        alert = post(author, community, text="Démarchage « faux agents » du gaz rue de l’Église.")
        commit_hooks(alert_request)
        run_tasks()
    finally:
        app.registry.vvs_plugins.unregister(plugin)
    notes = {(n.recipient_id, n.channel): n for n in rows(dbsession, "alert", alert.id)}
    assert {channel for user_id, channel in notes if user_id == outsider.id} == {"sms", "email"}
    for channel in ("sms", "email"):
        theirs, members = notes[(outsider.id, channel)], notes[(member.id, channel)]
        assert "chouette" in theirs.body and "Hélène" not in theirs.body  # (an SMS drops the emoji) and "Œuvre" not in theirs.body
        assert "/alertes/" not in theirs.body and f"/alertes/{alert.id}" in members.body
        assert "Hélène" in members.body
    html = notes[(outsider.id, "email")].html
    assert "chouette🦉" in html and "Œuvre" not in html and "/alertes/" not in html
    assert notes[(outsider.id, "sms")].body.endswith("appelez le 17.")
    alert_shape = SimpleNamespace(id=alert.id, category=alert.category, text=alert.text, severity=alert.severity)
    push = push_text(alert_request, "Le Bourg", alert_shape, None, author, "pseudonym")
    voice = voice_text("Le Bourg", alert_shape, None, author, "pseudonym")
    for body in (push, voice):
        assert "chouette🦉" in body and "Hélène" not in body and "Œuvre" not in body and "/alertes/" not in body


def test_fan_out_one_row_per_recipient_and_channel_delivered_by_the_providers(
        app, dbsession, alert_request, post, make_user, make_community):
    from vvs_alerts.fanout import fan_out

    author = make_user(first_name="Julien", last_name="Martin")
    members = [make_user() for _ in range(3)]
    community = make_community(name="Le Bourg", members=[author, *members])
    alert = post(author, community, text="Porte fracturée au 12 rue de Lagny, voiture grise qui repart vers la gare.")
    commit_hooks(alert_request)
    run_tasks()
    fan_out(alert_request, alert)  # a second fan-out (redelivered message) adds nothing
    commit_hooks(alert_request)
    run_tasks()
    notes = rows(dbsession, "alert", alert.id)
    assert len(notes) == 6 and len({(n.recipient_id, n.channel) for n in notes}) == 6
    assert {n.status for n in notes} == {"sent"}
    assert all(n.dedupe_key == f"alert:{alert.id}:0:{n.recipient_id}:{n.channel}" for n in notes)
    sms = [n for n in notes if n.channel == "sms"][0]
    assert sms.body.startswith("ALERTE Le Bourg") and sms.body.endswith("appelez le 17.") and "(Julien M.)" in sms.body
    mails = read_mails(app.registry.settings["vvs.email.folder"])
    addresses = {m.email for m in members}
    mine = [m for m in mails if m["To"] in addresses]
    assert len(mine) == 3 and "Porte fracturée" in mail_text(mine[0]) and "appelez le 17" in mail_text(mine[0])
    assert format_reach(reach_summary(dbsession, "alert", alert.id)) == "SMS : 3 envoyés · e-mail : 3 envoyés"


def test_update_and_all_clear_reach_the_same_people(app, dbsession, alert_request, post, make_user, make_community,
                                                    hook_recipient):
    from vvs_alerts.lifecycle import is_active, post_update

    author, member, referent, outsider = make_user(), make_user(), make_user(), make_user()
    community = make_community(members=[author, member], referents=[referent])
    hook_recipient(outsider.id)
    alert = post(author, community)
    commit_hooks(alert_request)
    run_tasks()
    first = {(n.recipient_id, n.channel) for n in rows(dbsession, "alert", alert.id)}
    later = make_user()  # joins after the alert: the update does not go to them
    from vvs_core.models import Membership
    dbsession.add(Membership(user_id=later.id, community_id=community.id, status="active"))
    update = post_update(alert_request, alert, author, "update", "La voiture est repartie vers Chessy.")
    commit_hooks(alert_request)
    run_tasks()
    assert {(n.recipient_id, n.channel) for n in rows(dbsession, "alert_update", update.id)} == first
    end = post_update(alert_request, alert, referent, "all_clear", "")
    commit_hooks(alert_request)
    run_tasks()
    end_rows = rows(dbsession, "alert_update", end.id)
    # the author hears of the all-clear a référent wrote
    assert {(n.recipient_id, n.channel) for n in end_rows} - first == {(author.id, "sms"), (author.id, "email")}
    assert all(n.body.startswith("FIN D'ALERTE") for n in end_rows if n.channel == "sms")
    assert {n.status for n in end_rows} == {"sent"}
    assert not is_active(alert)


def test_nothing_is_sent_after_expiry(app, dbsession, alert_request, post, make_user, make_community):
    from vvs_alerts.lifecycle import active_alerts_query, expire_alerts
    from vvs_alerts.fanout import fan_out

    author, member = make_user(), make_user()
    community = make_community(members=[author, member])
    alert = post(author, community)
    alert.expires_at = utcnow() - timedelta(minutes=1)
    dbsession.flush()
    assert fan_out(alert_request, alert) == []
    assert expire_alerts(dbsession) == 1
    dbsession.refresh(alert)
    assert alert.status == "expired"
    assert dbsession.scalars(active_alerts_query([community.id])).all() == []
    # Rows written before expiry are cancelled at delivery, never sent.
    live = post(author, community)
    alert_request.tm.abort()  # drop the after-commit fan-out: written by hand below
    alert_request.tm.begin()
    assert len(fan_out(alert_request, live)) == 2
    dbsession.execute(Notification.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    commit_hooks(alert_request)
    run_tasks()
    assert {n.status for n in rows(dbsession, "alert", live.id)} == {"cancelled"}


def test_vvs_render_notification(app, alert_request):
    from types import SimpleNamespace

    long_text = "Une camionnette " + "très " * 200
    note = SimpleNamespace(kind="alert", title="Alerte", body=long_text, html=None, channel="sms")
    answer = app.registry.vvs_plugins.hook.vvs_render_notification(request=alert_request, notification=note,
                                                                      channel="sms")
    assert answer["text"].endswith("En cas d'urgence, appelez le 17.")
    from vvs_core.notify.sms import measure
    assert measure(answer["text"]).segments <= app.registry.settings["vvs.alerts.sms_max_segments"]
    assert measure(answer["text"]).encoding == "GSM-7" and "très très" in answer["text"]
    other = SimpleNamespace(kind="message", title="t", body="b", html=None, channel="sms")
    assert app.registry.vvs_plugins.hook.vvs_render_notification(
        request=alert_request, notification=other, channel="sms")["text"] == "b"  # the core's default


def test_a_neighbour_with_only_a_landline_is_called(app, dbsession, alert_request, post, make_user, make_community,
                                                   tmp_path, clock):
    """With a voice provider, the member who has no mobile gets a call where the others
    get an SMS (the alert read aloud without its link); without one, e-mail only."""
    from vvs_dev_providers.providers import FolderVoiceCaller
    from app_changes import changed

    clock.set_local(2026, 11, 25, 10, 0)  # by day: a call below urgent waits for the morning
    author, mobile = make_user(), make_user()
    landline = make_user(mobile=None, landline="+33199000401")
    community = make_community(members=[author, mobile, landline])
    with changed(app.registry, providers={"voice": FolderVoiceCaller(str(tmp_path / "appels"))}):
        alert = post(author, community, text="Démarchage suspect rue de l’Église, « faux agents » du gaz.")
        commit_hooks(alert_request)
        run_tasks()
    got = {(n.recipient_id, n.channel): n for n in rows(dbsession, "alert", alert.id)}
    assert set(got) == {(mobile.id, "sms"), (mobile.id, "email"), (landline.id, "email"), (landline.id, "voice")}
    call = got[(landline.id, "voice")]
    assert call.status == "sent" and call.address == "+33199000401" and "faux agents" in call.body
    script = open(next(tmp_path.joinpath("appels").glob("*.txt")), encoding="utf-8").read()
    assert "faux agents" in script and "http" not in script
    assert f"Signalé par {author.first_name} {author.last_name[0]}.\n" in call.body  # « D. », never « D.. »


LONG_ALERT = ("Ce soir vers 21 h 15, deux hommes ont essayé d’ouvrir les portails du Clos des Tilleuls 🚨 : "
              "l’un grand, blouson noir, l’autre plus petit avec une casquette rouge. Ils sont repartis dans une "
              "Clio grise immatriculée « AB-123-CD » (voir photo 📷). Mme Bérénice, au n° 12, les a vus tourner "
              "trois fois autour de la place de l’Église avant de s’arrêter devant l’école. Fermez bien vos "
              "portails et vos voitures cette nuit, et signalez au 17 tout passage suspect : la gendarmerie est "
              "prévenue et fera une ronde vers minuit. Merci à tous 🙏")


def test_a_call_reads_the_whole_alert_where_the_sms_is_cut(app, dbsession, alert_request, post, make_user,
                                                          make_community, tmp_path, clock):
    """No SMS length on a call: a landline resident hears the alert to its last word,
    without the « ... » of the cut SMS, without the link, without the emoji."""
    from vvs_dev_providers.providers import FolderVoiceCaller
    from app_changes import changed

    assert len(LONG_ALERT) > 500
    clock.set_local(2026, 12, 6, 14, 42)
    author = make_user(first_name="Julien", last_name="Moreau")
    mobile, landline = make_user(), make_user(mobile=None, landline="+33199000430")
    community = make_community(members=[author, mobile, landline])
    with changed(app.registry, providers={"voice": FolderVoiceCaller(str(tmp_path / "appels"))}):
        alert = post(author, community, text=LONG_ALERT, category="cambriolage")
        commit_hooks(alert_request)
        run_tasks()
    got = {(n.recipient_id, n.channel): n for n in rows(dbsession, "alert", alert.id)}
    assert "..." in got[(mobile.id, "sms")].body  # the SMS is cut: the call must not be
    script = open(next(tmp_path.joinpath("appels").glob("*.txt")), encoding="utf-8").read()
    assert "fera une ronde vers minuit. Merci à tous" in script and "Mme Bérénice, au n° 12" in script
    assert "immatriculée AB-123-CD (voir photo). Mme" in script and "Clos des Tilleuls :" in script
    assert "Julien M." in script and "appelez le 17" in script
    assert "..." not in script and "http" not in script and not set("«»🚨📷🙏") & set(script)


def test_members_who_chose_nothing_are_written_in_sql_as_the_python_path_would(
        app, dbsession, alert_request, post, make_user, make_community, hook_recipient, voice):
    """A commune-wide fan-out writes the rows of members without preferences with INSERT …
    SELECT (``fanout.insert_in_sql``): the same rows (channels, addresses, texts, keys,
    severity, expiry) as the audience worked out in Python, preferences of the others
    honoured, and a run again writes only what is missing."""
    from vvs_alerts.audience import alert_audience
    from vvs_alerts.fanout import fan_out, members_in_sql
    from vvs_core.models import Membership
    from vvs_core.notify.preferences import call_window

    author = make_user()
    plain = [make_user(first_name="Zoé", last_name="N’Diaye « la voisine » 🏠") for _ in range(4)]
    no_mobile = make_user(mobile=None)
    landline_only = make_user(mobile=None, landline="+33160000001")
    only_mobile = make_user(email="", mobile="+33612340099")
    sms_only = make_user(notification_prefs={"alert": ["sms"]})
    strict = make_user(notification_prefs={"min_severity": {"sms": "severe"}})
    closed = make_user(status="closed")
    pending = make_user()
    community = make_community(members=[author, *plain, no_mobile, landline_only, only_mobile, sms_only, strict,
                                        closed])
    dbsession.add(Membership(user_id=pending.id, community_id=community.id, status="pending"))
    hook_recipient(plain[0].id)  # a member the hook names too: reached once, on their channels
    alert = post(author, community, severity="moderate")
    dbsession.flush()
    expected = {(t.user_id, t.channel, t.address) for t in alert_audience(alert_request, alert)}
    expected -= {(strict.id, "sms", strict.mobile)}  # below their minimum severity for SMS
    dbsession.execute(Notification.__table__.delete().where(Notification.subject_id == alert.id))
    in_sql, others = members_in_sql(alert_request, alert)
    assert set(in_sql) == {u.id for u in (*plain, no_mobile, landline_only, only_mobile)}
    assert {r.id for r in others} == {sms_only.id, strict.id}
    ids = fan_out(alert_request, alert)
    notes = rows(dbsession, "alert", alert.id)
    assert sorted(ids) == sorted(n.id for n in notes)
    assert {(n.recipient_id, n.channel, n.address) for n in notes} == expected
    assert (landline_only.id, "voice", "+33160000001") in expected and (no_mobile.id, "email", no_mobile.email) in expected
    assert not {closed.id, pending.id, author.id} & {n.recipient_id for n in notes}
    texts = {(n.channel, n.title, n.body, n.html) for n in notes if n.recipient_id == sms_only.id}
    for n in notes:
        assert n.dedupe_key == f"alert:{alert.id}:0:{n.recipient_id}:{n.channel}"
        assert (n.status, n.attempts, n.severity, n.kind, n.subject_type) == ("pending", 0, "moderate", "alert", "alert")
        assert n.expires_at == alert.expires_at and n.content_id is not None
        if n.channel == "sms":
            assert (n.channel, n.title, n.body, n.html) in texts
        if n.channel != "voice":
            assert n.next_attempt_at == n.created_at
        else:  # a call below urgent waits for the end of the night, as insert_notifications decides
            assert n.next_attempt_at == (call_window("moderate", n.created_at) or n.created_at)
    # Killed half-way: the job runs again and writes only the missing rows.
    lost = {plain[1].id, landline_only.id}
    dbsession.execute(Notification.__table__.delete().where(Notification.subject_id == alert.id,
                                                            Notification.recipient_id.in_(lost)))
    dbsession.expire_all()  # SQLite may give a deleted row's id to a new one
    again = fan_out(alert_request, alert)
    assert {n.recipient_id for n in dbsession.scalars(select(Notification).where(Notification.id.in_(again)))} == lost
    assert fan_out(alert_request, alert) == []
    assert {(n.recipient_id, n.channel, n.address) for n in rows(dbsession, "alert", alert.id)} == expected


@pytest.mark.parametrize("month", [7, 1], ids=["été", "hiver"])
def test_a_call_held_for_the_night_says_when_it_goes_out(
        testapp, dbsession, alert_request, post, make_user, make_community, voice, clock, month):
    """An alert posted at 23:30 (Paris time, summer and winter): the SMS and e-mails leave,
    the call of the neighbour who has only a landline waits for the end of the night, and
    the alert's page says at what hour it will ring instead of « Envoi en cours… »."""
    from vvs_alerts.views_support import reach_state

    clock.set_local(2026, month, 14, 23, 30)
    author, mobile = make_user(), make_user()
    landline = make_user(mobile=None, landline="+33199000402")
    community = make_community(members=[author, mobile, landline])
    alert = post(author, community, severity="moderate",
                 text="Coupure d’eau 💧 rue de l’Église : « citerne » devant l’école à 8 h, œufs et bouteilles.")
    commit_hooks(alert_request)
    run_tasks()
    call = dbsession.scalars(select(Notification).where(Notification.subject_id == alert.id,
                                                        Notification.channel == "voice")).one()
    assert call.status == "pending" and call.recipient_id == landline.id
    state = reach_state(dbsession, alert)
    assert state["text"].endswith("appels : 1 prévu à 8 h 00 — la nuit, seules les alertes urgentes appellent."), state
    assert "Envoi en cours" not in state["text"] and state["done"] is False and "SMS : 1 envoyé" in state["text"]
    testapp.login(author)
    page = testapp.get(f"/alertes/{alert.id}")
    assert page.html.select_one("#alert-reach").text == state["text"]
    assert page.text.count("8 h 00") == 1, "the hour of the call is said once on the author's page"
    clock.set_local(2026, month, 15, 8, 0, 1)  # the morning: the call goes out
    run_tasks()
    assert "prévu" not in reach_state(dbsession, alert)["text"]


@pytest.mark.parametrize("month", [7, 1], ids=["été", "hiver"])
def test_the_night_of_the_settings_holds_calls_written_in_sql_and_in_python_alike(
        app, dbsession, alert_request, post, make_user, make_community, voice, clock, monkeypatch, month):
    """``vvs.voice.night`` set to other hours than the default: a call to a member who chose
    nothing (written in SQL, ``fanout.insert_in_sql``) and one to a member with preferences
    (written by ``insert_notifications``) wait for the same end of night, the core's
    (``preferences.due_for_everyone``): the fan-out keeps no rule of its own that could drift.
    Every row, whichever path wrote it, carries a nonce (its provider key, migration 0019)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from vvs_alerts.fanout import fan_out, members_in_sql

    monkeypatch.setitem(app.registry.settings, "vvs.voice.night", "19:30-06:15")
    clock.set_local(2026, month, 14, 20, 0)  # inside this night, outside the default one (21:00-08:00)
    author = make_user()
    plain = make_user(mobile=None, landline="+33160000011", first_name="Zoé", last_name="N’Diaye « la voisine » 🏠")
    chose = make_user(mobile=None, landline="+33160000012", notification_prefs={"min_severity": {"sms": "severe"}})
    community = make_community(members=[author, plain, chose])
    alert = post(author, community, severity="moderate")
    dbsession.flush()
    dbsession.execute(Notification.__table__.delete().where(Notification.subject_id == alert.id))
    in_sql, others = members_in_sql(alert_request, alert)
    assert plain.id in in_sql and chose.id in {r.id for r in others}
    fan_out(alert_request, alert)
    calls = {n.recipient_id: n for n in rows(dbsession, "alert", alert.id) if n.channel == "voice"}
    end = datetime(2026, month, 15, 6, 15, tzinfo=ZoneInfo("Europe/Paris"))
    assert {aware(calls[u.id].next_attempt_at) for u in (plain, chose)} == {end}
    assert all(n.nonce for n in rows(dbsession, "alert", alert.id))
