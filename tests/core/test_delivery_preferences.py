"""Quiet hours, per-channel severity minimums and the push channel, as the outbox
applies them when rows are written, for the kinds declared quiet or "always reach"
(here two kinds this test declares); and the settings form that sets them."""
from datetime import datetime, timezone
from types import SimpleNamespace

from sqlalchemy import select

from vvs_core.models import Notification
from vvs_core.hooktypes import NotificationKind
from vvs_core.notify.kinds import NotificationKinds
from vvs_core.notify.outbox import insert_notifications as insert_rows
from vvs_core.notify.preferences import delivery_window, severity_allows

QUIET = {"quiet_hours": {"start": "22:00", "end": "07:00"}}
KINDS = NotificationKinds([NotificationKind("news", "Nouvelles du quartier", quiet=True),
                           NotificationKind("warning", "Avertissements", always_reach=True, severities=True)])


def insert_notifications(dbsession, rows):
    return insert_rows(dbsession, rows, kinds=KINDS)


def at_paris(hour, minute=0, day=24):
    # November: Paris is UTC+1
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=timezone.utc)


def test_delivery_window():
    user = SimpleNamespace(notification_prefs=QUIET)
    assert delivery_window(user, True, at_paris(21, 59)) is None
    assert delivery_window(user, True, at_paris(23, 30)) == at_paris(7, day=25)
    assert delivery_window(user, True, at_paris(3)) == at_paris(7)
    assert delivery_window(user, False, at_paris(23, 30)) is None  # kinds not declared quiet always go through
    day = SimpleNamespace(notification_prefs={"quiet_hours": {"start": "13:00", "end": "15:00"}})
    assert delivery_window(day, True, at_paris(14)) == at_paris(15)
    assert delivery_window(SimpleNamespace(notification_prefs={}), True, at_paris(23)) is None


def test_severity_minimum_per_channel():
    user = SimpleNamespace(notification_prefs={"min_severity": {"sms": "severe", "push": "moderate"}})
    assert not severity_allows(user, "sms", "moderate")
    assert severity_allows(user, "sms", "severe")        # urgent: always
    assert not severity_allows(user, "push", "minor")
    assert severity_allows(user, "push", "moderate")
    assert severity_allows(user, "email", "minor")       # no minimum set


def _alert_rows(user, severity, channels, n=1):
    return [dict(dedupe_key=f"warning:t{n}:{user.id}:{c}", kind="warning", subject_type="warning", subject_id=n,
                 recipient_id=user.id, channel=c, address=user.email if c == "email" else user.mobile or str(user.id),
                 title="Alerte", body="Texte", severity=severity) for c in channels]


def test_outbox_applies_the_preferences(dbsession, make_user):
    quiet = make_user(notification_prefs={**QUIET, "min_severity": {"sms": "severe"}})
    insert_notifications(dbsession, [dict(dedupe_key=f"news:t:{quiet.id}", kind="news", channel="email",
                                          address=quiet.email, recipient_id=quiet.id, title="Nouvelles", body="…")])
    row = dbsession.scalar(select(Notification).where(Notification.dedupe_key == f"news:t:{quiet.id}"))
    assert row.next_attempt_at >= row.created_at  # moved to 07:00 when written in quiet hours
    insert_notifications(dbsession, _alert_rows(quiet, "moderate", ("sms", "email")))
    channels = set(dbsession.scalars(select(Notification.channel).where(
        Notification.recipient_id == quiet.id, Notification.kind == "warning")))
    assert channels == {"email"}  # a moderate warning skips SMS for this resident
    insert_notifications(dbsession, _alert_rows(quiet, "severe", ("sms",), n=2))
    assert dbsession.scalar(select(Notification.channel).where(Notification.subject_id == 2)) == "sms"


def test_settings_form_saves_quiet_hours_and_severity(testapp, dbsession, make_user):
    user = make_user(notification_prefs={"alert": ["email"], "custom": 1})
    testapp.login(user)
    form = testapp.get("/parametres/notifications").forms["notifications"]
    form["quiet_start"] = "22:00"
    form["quiet_end"] = ""
    refused = form.submit("submit", status=400)
    assert "Indiquez le début et la fin des heures calmes" in refused.text
    form = testapp.get("/parametres/notifications").forms["notifications"]
    form["quiet_start"] = "22:00"
    form["quiet_end"] = "07:00"
    form["min_severity_sms"] = "severe"
    form.submit("submit", status=303)
    dbsession.refresh(user)
    prefs = user.notification_prefs
    assert prefs["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert prefs["min_severity"] == {"sms": "severe"}
    assert prefs["custom"] == 1 and prefs["alert"] == ["email"]


def test_the_migration_renames_the_stored_minimum_severity(tmp_path):
    """Issue 14.1: ``alert_min_severity`` (a feature's name in the core) is stored as
    ``min_severity``; the migration converts the rows, and back."""
    import sqlalchemy as sa
    from alembic import command

    from vvs_core.models import User, get_engine
    from vvs_core.models.migrate import alembic_config, installed_module_names, upgrade
    from vvs_core.testing import base_settings, enabled_module_names

    url = f"sqlite:///{tmp_path / 'ancienne.sqlite'}"
    modules = enabled_module_names(base_settings(url))
    upgrade(url, modules)
    config = alembic_config(url, sorted(set(modules) | set(installed_module_names())))
    command.downgrade(config, "0010_notification_contents")
    engine = get_engine(url)
    old = {"alert": ["sms"], "alert_min_severity": {"sms": "severe", "push": "moderate"}}
    with sa.orm.Session(engine) as session:
        session.execute(sa.insert(User.__table__), [
            {"email": "chloe@example.test", "password_hash": "x", "first_name": "Chloé", "last_name": "Lefèvre",
             "notification_prefs": old},
            {"email": "noe@example.test", "password_hash": "x", "first_name": "Noé", "last_name": "Dupré",
             "notification_prefs": {"quiet_hours": {"start": "22:00", "end": "07:00"}}},
            {"email": "zoe@example.test", "password_hash": "x", "first_name": "Zoé", "last_name": "Martin",
             "notification_prefs": None}])
        session.commit()
    upgrade(url, modules)

    def stored():
        with engine.connect() as conn:
            return conn.execute(sa.select(User.__table__.c.notification_prefs).order_by(User.__table__.c.id)).scalars().all()

    assert stored() == [{"alert": ["sms"], "min_severity": {"sms": "severe", "push": "moderate"}},
                        {"quiet_hours": {"start": "22:00", "end": "07:00"}}, None]
    command.downgrade(config, "0010_notification_contents")
    assert stored()[0] == old
    engine.dispose()


def test_the_quiet_hours_rule_is_told_with_the_other_errors(testapp, make_user):
    """A half-typed quiet hours (a start, no end) was told only once the other errors were fixed
    (no channel left for the neighbours' alerts): one pass now."""
    user = make_user(notification_prefs={"alert": ["email"]})
    testapp.login(user)
    form = testapp.get("/parametres/notifications").forms["notifications"]
    for box in form.fields["checkbox"]:  # no channel left for any kind
        box.checked = False
    form["quiet_start"], form["quiet_end"] = "22:00", ""
    text = " ".join(e.get_text(" ", strip=True) for e in form.submit("submit", status=400).html.select(".invalid-feedback"))
    assert "Gardez au moins un moyen d'être prévenu" in text and "Indiquez le début et la fin" in text, text
    form["quiet_start"], form["quiet_end"] = "25:99", ""  # a wrong start is told, and only that of the two
    text = " ".join(e.get_text(" ", strip=True) for e in form.submit("submit", status=400).html.select(".invalid-feedback"))
    assert "Heure invalide" in text and "Indiquez le début" not in text, text
    form["quiet_start"], form["quiet_end"] = "22:00", "22:00"
    text = " ".join(e.get_text(" ", strip=True) for e in form.submit("submit", status=400).html.select(".invalid-feedback"))
    assert "Gardez au moins un moyen" in text and "doit différer de leur début" in text, text
