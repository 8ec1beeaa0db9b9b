"""Reports of messages, for the platform moderators."""
from __future__ import annotations

import sqlalchemy as sa

from vvs_core.clock import utcnow
from vvs_core.communities.events import record_event

from .models import Message, MessageReport


def report_message(dbsession, message: Message, reporter, reason: str) -> MessageReport:
    row = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason, created_at=utcnow())
    dbsession.add(row)
    record_event(dbsession, "message_reported", actor=reporter, subject=message.sender_id,
                 data={"message_id": message.id}, public=False)
    return row


def open_reports(dbsession) -> list[tuple[MessageReport, Message]]:
    return dbsession.execute(
        sa.select(MessageReport, Message).join(Message, Message.id == MessageReport.message_id)
        .where(MessageReport.resolved_at.is_(None)).order_by(MessageReport.created_at)).all()


def open_reports_count_sql():
    """How many reports wait for the moderators, as a SQL scalar (the menu's badge)."""
    return sa.select(sa.func.count()).where(MessageReport.resolved_at.is_(None)).scalar_subquery()


def resolve(dbsession, report: MessageReport, moderator, delete_message: bool) -> None:
    report.resolved_at, report.resolved_by_id = utcnow(), moderator.id
    message = dbsession.get(Message, report.message_id)
    record_event(dbsession, "message_report_resolved", actor=moderator, subject=message.sender_id,
                 data={"message_id": message.id, "deleted": delete_message}, public=False)
    if delete_message:
        message.text = "(message retiré par la modération)"
