"""Moderation of alerts: approve (pre-moderation), withdraw, warn, suspend posting,
reports. Every action is a ModerationAction row and a non-public CommunityEvent
(the audit trail), and the author is told why."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.events import record_event
from vvs_core.links import absolute_url
from vvs_core.models import Membership, User
from vvs_core.notify.outbox import notify_user

from .catalogue import EMERGENCY_NOTICE, category_label
from .lifecycle import cancel_pending
from .models import Alert, AlertReport, ModerationAction, PostingSuspension
from .posting import start_fan_out

ACTION_LABELS = {
    "approve": "Validée",
    "withdraw": "Retirée",
    "warn": "Avertissement",
    "suspend": "Publication suspendue",
}
DEFAULT_SUSPENSION_DAYS = 7


class ModerationRefused(Exception):
    """The action does not apply to this alert (message in French)."""


def report_alert(dbsession, alert, reporter, reason: str) -> AlertReport:
    report = AlertReport(alert_id=alert.id, reporter_id=reporter.id, reason=reason.strip()[:1000],
                         created_at=utcnow())
    dbsession.add(report)
    record_event(dbsession, "alert_reported", community=alert.community_id, actor=reporter,
                 subject=alert.author_id, data={"alert_id": alert.id}, public=False)
    return report


def moderate(request, alert, moderator, action: str, reason: str, days: int | None = None) -> ModerationAction:
    """Apply ``action`` to ``alert`` and record it. Raises ModerationRefused."""
    db = request.dbsession
    reason = (reason or "").strip()
    if action not in ACTION_LABELS:
        raise ModerationRefused("Action de modération inconnue.")
    if action != "approve" and not reason:
        raise ModerationRefused("Indiquez le motif : il est transmis à l'auteur de l'alerte.")
    entry = ModerationAction(alert_id=alert.id, moderator_id=moderator.id, action=action, reason=reason,
                             original_text=alert.text, created_at=utcnow())
    if action == "approve":
        _approve(request, alert)
    elif action == "withdraw":
        if alert.status == "withdrawn":
            raise ModerationRefused("Cette alerte est déjà retirée.")
        alert.status = "withdrawn"
        cancel_pending(db, alert)
    elif action == "suspend":
        until = utcnow() + timedelta(days=days or DEFAULT_SUSPENSION_DAYS)
        if alert.author_id is None:
            raise ModerationRefused("L'auteur de cette alerte n'a plus de compte.")
        db.add(PostingSuspension(user_id=alert.author_id, until=until, reason=reason))
    db.add(entry)
    db.execute(sa.update(AlertReport).where(AlertReport.alert_id == alert.id, AlertReport.handled.is_(False))
               .values(handled=True).execution_options(synchronize_session=False))
    record_event(db, f"alert_{action}", community=alert.community_id, actor=moderator,
                 subject=alert.author_id, public=False,
                 data={"alert_id": alert.id, "reason": reason, "original_text": alert.text, "days": days})
    db.flush()
    tell_author(request, alert, entry, days)
    return entry


def _approve(request, alert) -> None:
    if alert.status == "held":
        alert.status = "published"
        alert.published_at = utcnow()
        start_fan_out(request, alert)
    elif alert.status != "published":
        raise ModerationRefused("Seule une alerte en attente ou en cours peut être validée.")
    # A published alert that was reported: "approve" keeps it and closes the reports.


def tell_author(request, alert, entry, days) -> None:
    if alert.author_id is None:
        return
    author = request.dbsession.get(User, alert.author_id)
    if author is None:
        return
    label = category_label(alert.category)
    url = absolute_url(request, "alert_view", alert_id=alert.id)
    if entry.action == "approve":
        title, body = "Votre alerte a été validée", f"Votre alerte « {label} » a été validée et envoyée aux voisins."
    elif entry.action == "withdraw":
        title = "Votre alerte a été retirée"
        body = f"Votre alerte « {label} » a été retirée par la modération.\n\nMotif : {entry.reason}"
    elif entry.action == "warn":
        title = "Avertissement de la modération"
        body = f"La modération vous adresse un avertissement au sujet de votre alerte « {label} ».\n\nMotif : {entry.reason}"
    else:
        title = "Publication d'alertes suspendue"
        body = (f"Vous ne pouvez plus lancer d'alerte pendant {days or DEFAULT_SUSPENSION_DAYS} jours, "
                f"à la suite de votre alerte « {label} ».\n\nMotif : {entry.reason}")
    body += f"\n\nL'alerte : {url}\nRappel de la charte : des faits, jamais l'origine, la religion ou l'apparence d'une personne.\n\n{EMERGENCY_NOTICE}"
    notify_user(request, author, "moderation", title, body, subject=("alert_admin", alert.id),
                dedupe_key=f"alert_moderation:{entry.id}")


def queue_for(dbsession, user, principals) -> dict:
    """Held alerts and alerts with open reports that ``user`` may moderate."""
    held = sa.select(Alert).where(Alert.status == "held")
    reported_ids = sa.select(AlertReport.alert_id).where(AlertReport.handled.is_(False))
    reported = sa.select(Alert).where(Alert.id.in_(reported_ids), Alert.status != "withdrawn")
    if "role:moderator" not in principals and "role:admin" not in principals:
        mine = sa.select(Membership.community_id).where(
            Membership.user_id == user.id, Membership.status == "active", Membership.role == "referent")
        held = held.where(Alert.community_id.in_(mine))
        reported = reported.where(Alert.community_id.in_(mine))
    return {
        "held": list(dbsession.scalars(held.order_by(Alert.created_at))),
        "reported": list(dbsession.scalars(reported.order_by(Alert.created_at.desc()))),
    }


def open_reports(dbsession, alert_id) -> list[AlertReport]:
    return list(dbsession.scalars(sa.select(AlertReport).where(
        AlertReport.alert_id == alert_id, AlertReport.handled.is_(False)).order_by(AlertReport.id)))


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
