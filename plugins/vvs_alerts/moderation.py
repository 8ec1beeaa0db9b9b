"""Moderation of alerts: approve (pre-moderation), withdraw, restore (a withdrawal by
mistake), warn, suspend posting, lift a suspension, reports. Every action is a ModerationAction row (the journal shown
on the history pages) and a non-public CommunityEvent (the audit trail), and the
author is told why, until when, and how to contest.

Input is checked before anything changes (``ModerationRefused`` carries the French
message). Two moderators acting at once: the alert row (or the user row, for
suspensions) is locked, and a form that saw an older state of the journal is refused
rather than applied twice."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from vvs_core.clock import aware, utcnow
from vvs_core.communities.events import record_event
from vvs_core.web.links import absolute_url
from vvs_core.models import Community, Membership, User
from vvs_core.notify.outbox import notify_user
from vvs_core.web.textsearch import folded
from vvs_core.web.timefmt import dates

from .catalogue import EMERGENCY_NOTICE, category_label
from .lifecycle import cancel_pending
from .models import Alert, AlertReport, ModerationAction, PostingSuspension
from .posting import active_suspension, start_fan_out

ACTION_LABELS = {
    "approve": "Validée",
    "withdraw": "Retirée",
    "restore": "Rétablie",
    "warn": "Avertissement",
    "suspend": "Publication suspendue",
    "lift": "Suspension levée",
}
ALERT_ACTIONS = ("approve", "withdraw", "restore", "warn", "suspend")
DEFAULT_SUSPENSION_DAYS = 7
MIN_DAYS, MAX_DAYS = 1, 365
DAYS_WRONG = f"La durée de suspension doit être un nombre entier de jours, de {MIN_DAYS} à {MAX_DAYS}. Rien n'a été changé."
REASON_MAX = 1000


class ModerationRefused(Exception):
    """The action does not apply, or its input is wrong (message in French). Nothing changed."""


# --- Input --------------------------------------------------------------------

def parse_days(raw) -> int:
    """A suspension's length in whole days, 1 to 365, as typed by the moderator."""
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"[0-9]{1,3}", text) or not MIN_DAYS <= int(text) <= MAX_DAYS:
        raise ModerationRefused(DAYS_WRONG)
    return int(text)


def clean_reason(reason, required: bool = True) -> str:
    reason = str(reason or "").strip()
    if required and not reason:
        raise ModerationRefused("Indiquez le motif : il est transmis à la personne concernée.")
    if len(reason) > REASON_MAX:
        raise ModerationRefused(f"Motif trop long : {REASON_MAX} caractères au plus ({len(reason)} reçus). "
                                "Rien n'a été changé.")
    return reason


# --- Reports ------------------------------------------------------------------

def report_alert(dbsession, alert, reporter, reason: str) -> AlertReport:
    report = AlertReport(alert_id=alert.id, reporter_id=reporter.id, reason=reason.strip()[:REASON_MAX],
                         created_at=utcnow())
    dbsession.add(report)
    record_event(dbsession, "alert_reported", community=alert.community_id, actor=reporter,
                 subject=alert.author_id, data={"alert_id": alert.id}, public=False)
    return report


# --- Actions on an alert ------------------------------------------------------

def last_entry_id(dbsession, alert_id) -> int:
    return dbsession.scalar(sa.select(sa.func.coalesce(sa.func.max(ModerationAction.id), 0))
                            .where(ModerationAction.alert_id == alert_id)) or 0


def last_entry_ids(dbsession, alert_ids) -> dict[int, int]:
    """``last_entry_id`` of several alerts in one statement (absent: 0)."""
    ids = sorted(set(alert_ids))
    if not ids:
        return {}
    return dict(dbsession.execute(sa.select(ModerationAction.alert_id, sa.func.max(ModerationAction.id))
                                  .where(ModerationAction.alert_id.in_(ids)).group_by(ModerationAction.alert_id)).all())


def _lock_alert(dbsession, alert) -> Alert:
    return dbsession.scalar(sa.select(Alert).where(Alert.id == alert.id).with_for_update()
                            .execution_options(populate_existing=True))


def _someone_else_acted(dbsession, alert_id, seen: int) -> None:
    newer = dbsession.scalar(sa.select(ModerationAction).where(
        ModerationAction.alert_id == alert_id, ModerationAction.id > seen).order_by(ModerationAction.id.desc()).limit(1))
    if newer is not None:
        who = newer.moderator.full_name if newer.moderator is not None else "un modérateur"
        raise ModerationRefused(
            f"{who} vient d'agir sur cette alerte ({ACTION_LABELS.get(newer.action, newer.action)}, "
            f"{dates.datetime(newer.created_at)}). Rien n'a été changé : relisez la page avant de décider.")


def moderate(request, alert, moderator, action: str, reason: str, days=None, seen: int | None = None) -> ModerationAction:
    """Apply ``action`` to ``alert`` and record it. Raises ModerationRefused (nothing changed).

    ``days``: the suspension's length as typed (validated here). ``seen``: the last
    journal entry the moderator saw; a newer one means another moderator acted first."""
    db = request.dbsession
    if action not in ALERT_ACTIONS:
        raise ModerationRefused("Action de modération inconnue : rechargez la page. Rien n'a été changé.")
    reason = clean_reason(reason, required=action != "approve")
    length = parse_days(days) if action == "suspend" else None
    alert = _lock_alert(db, alert)
    if seen is not None:
        _someone_else_acted(db, alert.id, seen)
    now = utcnow()
    entry = ModerationAction(alert_id=alert.id, user_id=alert.author_id, moderator_id=moderator.id, action=action,
                             reason=reason, original_text=alert.text, created_at=now)
    previous = released = None
    if action == "approve":
        released = _approve(request, alert)
    elif action == "withdraw":
        if alert.status == "withdrawn":
            raise ModerationRefused("Cette alerte est déjà retirée.")
        alert.status = "withdrawn"
        cancel_pending(db, alert)
    elif action == "restore":
        _restore(alert, now)
    elif action == "suspend":
        if alert.author_id is None:
            raise ModerationRefused("L'auteur de cette alerte n'a plus de compte.")
        suspension, previous = suspend_posting(db, alert.author_id, moderator, now + timedelta(days=length),
                                               reason, alert_id=alert.id)
        entry.until = suspension.until
    db.add(entry)
    db.execute(sa.update(AlertReport).where(AlertReport.alert_id == alert.id, AlertReport.handled.is_(False))
               .values(handled=True).execution_options(synchronize_session=False))
    record_event(db, f"alert_{action}", community=alert.community_id, actor=moderator,
                 subject=alert.author_id, public=False,
                 data={"alert_id": alert.id, "reason": reason, "original_text": alert.text, "days": length})
    db.flush()
    tell_author(request, alert, entry, previous, released=released)
    return entry


def _approve(request, alert) -> bool:
    """True when a held alert is released (pre-moderation); False when an alert already
    sent is kept after a report (post-moderation): "approve" then only closes the reports."""
    if alert.status == "held":
        alert.status = "published"
        alert.published_at = utcnow()
        start_fan_out(request, alert)
        return True
    if alert.status != "published":
        raise ModerationRefused("Seule une alerte en attente ou en cours peut être validée.")
    return False


def _restore(alert, now) -> None:
    """A withdrawal undone: an alert sent before is visible again (or expired, past its end) —
    the messages its withdrawal cancelled do not leave again; one withdrawn while it waited
    goes back « en attente de validation », in the queue."""
    if alert.status != "withdrawn":
        raise ModerationRefused("Seule une alerte retirée peut être rétablie.")
    if alert.published_at is None:
        alert.status = "held"
    else:
        alert.status = "published" if aware(alert.expires_at) > now else "expired"


# --- Posting suspensions ------------------------------------------------------

def suspend_posting(dbsession, user_id, moderator, until, reason, alert_id=None):
    """Suspend ``user_id``'s posting until ``until``: the suspension in force, if any, is
    moved (extended or shortened), never stacked. Returns (suspension, its previous end
    or None). The user's row is locked so that two moderators cannot both create one."""
    dbsession.scalar(sa.select(User.id).where(User.id == user_id).with_for_update())
    current = active_suspension(dbsession, user_id)
    if current is not None:
        previous = current.until
        current.until, current.reason, current.moderator_id = until, reason, moderator.id
        if alert_id is not None:
            current.alert_id = alert_id
        return current, previous
    suspension = PostingSuspension(user_id=user_id, until=until, reason=reason, moderator_id=moderator.id,
                                   alert_id=alert_id, created_at=utcnow())
    dbsession.add(suspension)
    dbsession.flush()
    return suspension, None


def _lock_suspension(dbsession, suspension_id, seen_until: str | None = None) -> PostingSuspension:
    """The suspension in force, locked; refused if lifted, over, or changed since the
    moderator's page showed it (``seen_until``: the end the form saw)."""
    suspension = dbsession.scalar(sa.select(PostingSuspension).where(PostingSuspension.id == suspension_id)
                                  .with_for_update().execution_options(populate_existing=True))
    if suspension is None:
        raise ModerationRefused("Cette suspension n'existe pas.")
    if suspension.lifted_at is not None:
        who = dbsession.get(User, suspension.lifted_by_id) if suspension.lifted_by_id else None
        raise ModerationRefused(f"Cette suspension a déjà été levée{' par ' + who.full_name if who else ''} "
                                f"le {dates.datetime(suspension.lifted_at)}. Rien n'a été changé.")
    if suspension.until <= utcnow():
        raise ModerationRefused("Cette suspension est déjà terminée. Rien n'a été changé.")
    if seen_until is not None and seen_until != dates.utc_iso(suspension.until):
        raise ModerationRefused("Un autre modérateur vient de modifier cette suspension "
                                f"(désormais jusqu'au {dates.datetime(suspension.until)}). Rien n'a été changé.")
    return suspension


def change_suspension(request, suspension_id, moderator, days, reason, seen_until: str | None = None) -> ModerationAction:
    """A new end for a suspension in force: ``days`` from now (longer or shorter)."""
    db = request.dbsession
    reason = clean_reason(reason)
    length = parse_days(days)
    suspension = _lock_suspension(db, suspension_id, seen_until)
    now = utcnow()
    previous = suspension.until
    suspension.until, suspension.reason, suspension.moderator_id = now + timedelta(days=length), reason, moderator.id
    entry = ModerationAction(alert_id=suspension.alert_id, user_id=suspension.user_id, moderator_id=moderator.id,
                             action="suspend", reason=reason, until=suspension.until, created_at=now)
    db.add(entry)
    record_event(db, "alert_suspend", actor=moderator, subject=suspension.user_id, public=False,
                 data={"suspension_id": suspension.id, "reason": reason, "days": length})
    db.flush()
    _tell_user(request, suspension.user_id, *_suspension_message(suspension.until, previous, reason),
               dedupe=f"alert_moderation:{entry.id}")
    return entry


def lift_suspension(request, suspension_id, moderator, reason, seen_until: str | None = None) -> ModerationAction:
    db = request.dbsession
    reason = clean_reason(reason)
    suspension = _lock_suspension(db, suspension_id, seen_until)
    now = utcnow()
    suspension.lifted_at, suspension.lifted_by_id = now, moderator.id
    entry = ModerationAction(alert_id=suspension.alert_id, user_id=suspension.user_id, moderator_id=moderator.id,
                             action="lift", reason=reason, created_at=now)
    db.add(entry)
    record_event(db, "alert_lift", actor=moderator, subject=suspension.user_id, public=False,
                 data={"suspension_id": suspension.id, "reason": reason})
    db.flush()
    _tell_user(request, suspension.user_id, "Vous pouvez de nouveau lancer des alertes",
               f"La modération a levé la suspension de vos publications d'alertes.\n\nMotif : {reason}",
               dedupe=f"alert_moderation:{entry.id}", against=False)
    return entry


# --- What the person concerned is told ----------------------------------------

def contest_line(request) -> str:
    return ("Pour contester cette décision, écrivez à "
            f"{request.registry.settings['vvs.platform_email']} en rappelant l'alerte concernée : "
            "un autre modérateur réexaminera votre demande.")


def _suspension_message(until, previous, reason) -> tuple[str, str]:
    when = dates.datetime(until)
    if previous is None:
        title, first = "Publication d'alertes suspendue", f"Vous ne pouvez plus lancer d'alerte jusqu'au {when}."
    elif until > previous:
        title, first = "Suspension prolongée", f"La suspension de vos publications d'alertes est prolongée jusqu'au {when}."
    else:
        title, first = "Suspension raccourcie", f"La suspension de vos publications d'alertes est raccourcie : jusqu'au {when}."
    return title, f"{first}\n\nMotif : {reason}"


def _tell_user(request, user_id, title, body, *, dedupe, alert_id=None, against=True) -> None:
    """``against``: a decision against the person (withdrawal, warning, suspension) comes
    with the way to contest it and the charter; a decision in their favour does not."""
    user = request.dbsession.get(User, user_id) if user_id is not None else None
    if user is None or user.is_closed:
        return
    if alert_id is not None:
        body += f"\n\nL'alerte : {absolute_url(request, 'alert_view', alert_id=alert_id)}"
    if against:
        body += (f"\n\n{contest_line(request)}\nRappel de la charte : des faits, jamais l'origine, la religion ou "
                 "l'apparence d'une personne.")
    body += f"\n\n{EMERGENCY_NOTICE}"
    notify_user(request, user, "alert_moderation", title, body,
                subject=("alert_admin", alert_id) if alert_id is not None else ("", None), dedupe_key=dedupe)


def _approval_message(label, reason, released) -> tuple[str, str]:
    if released:  # pre-moderation: it waited, it goes out now
        title, body = "Votre alerte a été validée", f"Votre alerte « {label} » a été validée et envoyée aux voisins."
    else:  # post-moderation: it had gone out; a report was examined and it stays
        title = "Votre alerte est maintenue"
        body = (f"Votre alerte « {label} » a fait l'objet d'un signalement. La modération l'a examinée et la "
                "garde telle quelle : elle reste visible de vos voisins (elle leur avait déjà été envoyée).")
    return title, body + (f"\n\nMotif : {reason}" if reason else "")


def tell_author(request, alert, entry, previous_until=None, released=True) -> None:
    """``released``: an approval that sent a held alert (else: kept after a report)."""
    label = category_label(alert.category)
    if entry.action == "approve":
        title, body = _approval_message(label, entry.reason, released)
    elif entry.action == "withdraw":
        title = "Votre alerte a été retirée"
        body = f"Votre alerte « {label} » a été retirée par la modération.\n\nMotif : {entry.reason}"
    elif entry.action == "restore":
        title = "Votre alerte est rétablie"
        body = (f"Votre alerte « {label} », retirée plus tôt, est rétablie par la modération"
                + (" : elle attend de nouveau sa validation." if alert.status == "held" else " : vos voisins la voient de nouveau.")
                + f"\n\nMotif : {entry.reason}")
    elif entry.action == "warn":
        title = "Avertissement de la modération"
        body = f"La modération vous adresse un avertissement au sujet de votre alerte « {label} ».\n\nMotif : {entry.reason}"
    else:
        title, body = _suspension_message(entry.until, previous_until, entry.reason)
        body += f"\n\nÀ la suite de votre alerte « {label} »."
    _tell_user(request, alert.author_id, title, body, dedupe=f"alert_moderation:{entry.id}", alert_id=alert.id,
               against=entry.action not in ("approve", "restore"))


# --- Queue, journal, sanctions in force ---------------------------------------

def _referent_of(user):
    return sa.select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status == "active", Membership.role == "referent")


def referent_communities(request) -> list[Community]:
    """The communities the user moderates as their référent, by name."""
    return list(request.dbsession.scalars(sa.select(Community).where(
        Community.id.in_(_referent_of(request.user)), Community.archived_at.is_(None)).order_by(folded(Community.name))))


def _queue_conditions(user, principals):
    held = Alert.status == "held"
    reported_ids = sa.select(AlertReport.alert_id).where(AlertReport.handled.is_(False))
    reported = sa.and_(Alert.id.in_(reported_ids), Alert.status != "withdrawn")
    if "role:moderator" not in principals and "role:admin" not in principals:
        mine = _referent_of(user)
        held, reported = sa.and_(held, Alert.community_id.in_(mine)), sa.and_(reported, Alert.community_id.in_(mine))
    return held, reported


def queue_size_sql(user, principals):
    """How many alerts wait for ``user``'s moderation, as a SQL scalar expression: the two
    queues counted as one union, each read through its index (``held OR reported`` in one
    condition made PostgreSQL read every alert: 60–85 ms on each référent page at national
    scale, 200,000 alerts)."""
    held, reported = _queue_conditions(user, principals)
    waiting = sa.union(sa.select(Alert.id).where(held), sa.select(Alert.id).where(reported)).subquery()
    return sa.select(sa.func.count()).select_from(waiting).scalar_subquery()


def queue_statements(user, principals) -> dict:
    """The two queues ``user`` may moderate, as selects ordered by a unique key (for
    ``vvs_core.web.pagination.paginate``): held alerts, oldest first; alerts with open reports,
    newest first. Each line's author and community come with it (many-to-one joins)."""
    held_when, reported_when = _queue_conditions(user, principals)
    people = (joinedload(Alert.author), joinedload(Alert.community))  # shown on each line
    return {
        "held": sa.select(Alert).where(held_when).options(*people).order_by(Alert.created_at, Alert.id),
        "reported": sa.select(Alert).where(reported_when).options(*people)
        .order_by(Alert.created_at.desc(), Alert.id.desc()),
    }


def open_reports_of(dbsession, alert_ids) -> dict[int, list[AlertReport]]:
    """``open_reports`` of several alerts in one statement."""
    out: dict[int, list[AlertReport]] = {}
    if alert_ids:
        for report in dbsession.scalars(sa.select(AlertReport).where(
                AlertReport.alert_id.in_(sorted(set(alert_ids))), AlertReport.handled.is_(False))
                .order_by(AlertReport.id)):
            out.setdefault(report.alert_id, []).append(report)
    return out


def open_reports(dbsession, alert_id) -> list[AlertReport]:
    return list(dbsession.scalars(sa.select(AlertReport).where(
        AlertReport.alert_id == alert_id, AlertReport.handled.is_(False)).order_by(AlertReport.id)))


def journal(dbsession, *, alert_id=None, user_id=None, limit=200) -> list[ModerationAction]:
    """Moderation actions on one alert or concerning one user, newest first."""
    query = sa.select(ModerationAction)
    if alert_id is not None:
        query = query.where(ModerationAction.alert_id == alert_id)
    if user_id is not None:
        query = query.where(ModerationAction.user_id == user_id)
    return list(dbsession.scalars(query.order_by(ModerationAction.id.desc()).limit(limit)))


def suspensions_in_force(dbsession, user_id=None) -> list[PostingSuspension]:
    query = sa.select(PostingSuspension).where(PostingSuspension.lifted_at.is_(None),
                                               PostingSuspension.until > utcnow())
    if user_id is not None:
        query = query.where(PostingSuspension.user_id == user_id)
    return list(dbsession.scalars(query.order_by(PostingSuspension.until)))


def recent_warnings(dbsession, days: int = 30) -> list[ModerationAction]:
    return list(dbsession.scalars(sa.select(ModerationAction).where(
        ModerationAction.action == "warn", ModerationAction.created_at > utcnow() - timedelta(days=days))
        .order_by(ModerationAction.id.desc()).limit(100)))


def escalate_held(request, now=None) -> int:
    """Held alerts waiting longer than ``vvs.alerts.escalation_minutes`` go to the
    moderators by e-mail, once. Returns how many alerts were escalated."""
    db = request.dbsession
    now = now or utcnow()
    minutes = request.registry.settings["vvs.alerts.escalation_minutes"]
    due = list(db.scalars(sa.select(Alert).where(
        Alert.status == "held", Alert.escalated_at.is_(None),
        Alert.created_at <= now - timedelta(minutes=minutes)).with_for_update(skip_locked=True)))
    if not due:
        return 0
    moderators = list(db.scalars(sa.select(User).where(User.is_moderator.is_(True), User.status != "closed")))
    queue = absolute_url(request, "alerts_moderation")
    for alert in due:
        alert.escalated_at = now
        for moderator in moderators:
            notify_user(request, moderator, "alert_escalation", "Alerte en attente de validation",
                        f"Une alerte attend une validation depuis plus de {minutes} minutes :\n\n{alert.text}\n\n"
                        f"File de modération : {queue}\n\n{EMERGENCY_NOTICE}",
                        channels=("email",), subject=("alert_admin", alert.id),
                        dedupe_key=f"alert_escalation:{alert.id}:{moderator.id}")
        record_event(db, "alert_escalated", community=alert.community_id, subject=alert.author_id,
                     data={"alert_id": alert.id, "minutes": minutes}, public=False)
    return len(due)
