"""Reports of messages, for the platform moderators."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event
from vvs_core.models import User
from vvs_core.notify.outbox import notify_user

from .models import Conversation, Message, MessageReport


def report_message(dbsession, message: Message, reporter, reason: str) -> MessageReport:
    row = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason, created_at=utcnow())
    dbsession.add(row)
    record_event(dbsession, "message_reported", actor=reporter, subject=message.sender_id,
                 data={"message_id": message.id}, public=False)
    return row


def open_reports():
    """(report, message) of the reports waiting, oldest first: a select for ``paginate``."""
    return (sa.select(MessageReport, Message).join(Message, Message.id == MessageReport.message_id)
            .where(MessageReport.resolved_at.is_(None)).order_by(MessageReport.created_at, MessageReport.id))


def open_reports_count_sql():
    """How many reports wait for the moderators, as a SQL scalar (the menu's badge)."""
    return sa.select(sa.func.count()).where(MessageReport.resolved_at.is_(None)).scalar_subquery()


def resolve(request, report: MessageReport, moderator, delete_message: bool) -> None:
    """Close ``report``; ``delete_message``: its text is replaced, and its sender told by e-mail."""
    dbsession = request.dbsession
    report.resolved_at, report.resolved_by_id = utcnow(), moderator.id
    message = dbsession.get(Message, report.message_id)
    record_event(dbsession, "message_report_resolved", actor=moderator, subject=message.sender_id,
                 data={"message_id": message.id, "deleted": delete_message}, public=False)
    if delete_message:
        tell_sender(request, message)
        message.text = "(message retiré par la modération)"


def tell_sender(request, message: Message) -> None:
    sender = request.dbsession.get(User, message.sender_id) if message.sender_id is not None else None
    if sender is None:
        return
    subject = request.dbsession.get(Conversation, message.conversation_id).subject
    body = (f"La modération a retiré un message que vous aviez écrit"
            + (f" dans la conversation « {subject} »" if subject else "") + f" :\n\n« {message.text} »\n\n"
            f"Ses destinataires ne le voient plus. Pour contester cette décision, écrivez à "
            f"{request.registry.settings['vvs.platform_email']} : un autre modérateur réexaminera votre demande.\n"
            "Rappel de la charte : des faits, jamais l'origine, la religion ou l'apparence d'une personne.")
    notify_user(request, sender, "message_moderation", "Un de vos messages a été retiré", body,
                subject=("message", message.id))
