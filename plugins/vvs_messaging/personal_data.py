"""Messages are personal data: exported, and erased with the account."""
from __future__ import annotations

import sqlalchemy as sa

from .models import Block, Conversation, Message, MessageReport, Participant


def export_messages(dbsession, user) -> dict:
    """As SQL (``json_rows``): the archive reads it with its other sections, in one statement."""
    from vvs_core.web.batch import ReadThen, json_rows

    def ids(rows):
        return [row.id for row in rows]

    return {
        # With their subject: the words a participant typed or read there, not a bare number.
        "conversations": json_rows(sa.select(Conversation.id.label("id"), Conversation.subject.label("sujet"))
                                   .join(Participant, Participant.conversation_id == Conversation.id)
                                   .where(Participant.user_id == user.id).order_by(Conversation.id)),
        "messages_envoyes": json_rows(sa.select(
            Message.conversation_id.label("conversation"), Message.text.label("texte"),
            Message.created_at.label("envoye_le")).where(Message.sender_id == user.id).order_by(Message.id)),
        "personnes_bloquees": ReadThen(json_rows(sa.select(Block.blocked_id.label("id"))
                                                 .where(Block.blocker_id == user.id)), ids),
    }


def erase_messages(dbsession, user) -> None:
    """The user's messages are deleted and they leave every conversation; a
    conversation nobody is left in is deleted whole."""
    dbsession.execute(sa.delete(MessageReport).where(MessageReport.reporter_id == user.id))
    dbsession.execute(sa.update(MessageReport).where(MessageReport.resolved_by_id == user.id).values(resolved_by_id=None))
    dbsession.execute(sa.delete(Message).where(Message.sender_id == user.id))
    dbsession.execute(sa.delete(Block).where(sa.or_(Block.blocker_id == user.id, Block.blocked_id == user.id)))
    conversation_ids = list(dbsession.scalars(sa.select(Participant.conversation_id).where(Participant.user_id == user.id)))
    dbsession.execute(sa.delete(Participant).where(Participant.user_id == user.id))
    dbsession.execute(sa.update(Conversation).where(Conversation.created_by_id == user.id).values(created_by_id=None))
    if conversation_ids:
        empty = sa.select(Conversation.id).where(
            Conversation.id.in_(conversation_ids),
            ~sa.exists().where(Participant.conversation_id == Conversation.id))
        dbsession.execute(sa.delete(Message).where(Message.conversation_id.in_(empty)))
        dbsession.execute(sa.delete(Conversation).where(Conversation.id.in_(
            list(dbsession.scalars(empty)))))
    dbsession.flush()
