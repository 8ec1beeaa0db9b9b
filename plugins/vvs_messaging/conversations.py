"""Conversations and messages: start, reply, read, unread counts, blocks, notices."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from vvs_core.clock import aware, utcnow
from vvs_core.models import User, row_id
from vvs_core.notify.outbox import notify_user
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates

from .audience import NAME, label_for, shown_as
from .models import Block, Conversation, Message, Participant


class NotAllowed(Exception):
    """The message cannot be sent; the text is French, for the form."""


def blocked_ids(dbsession, blocker_id: int) -> set[int]:
    return set(dbsession.scalars(sa.select(Block.blocked_id).where(Block.blocker_id == blocker_id)))


def who_blocked(dbsession, sender_id: int, user_ids) -> set[int]:
    return set(dbsession.scalars(sa.select(Block.blocker_id).where(
        Block.blocked_id == sender_id, Block.blocker_id.in_(list(user_ids)))))


def start_conversation(request, sender, recipient_ids: list[int], subject: str, text: str) -> Conversation:
    ids = sorted({int(i) for i in recipient_ids})
    allowed = shown_as(request, sender, ids)
    if not ids:
        raise NotAllowed("Choisissez au moins un destinataire.")
    if any(i not in allowed for i in ids):
        raise NotAllowed("Vous ne pouvez pas écrire à l'une des personnes choisies.")
    if who_blocked(request.dbsession, sender.id, ids):
        raise NotAllowed("L'une des personnes choisies ne souhaite plus recevoir vos messages.")
    now = utcnow()
    if (twin := just_started(request.dbsession, sender, ids, subject, text, now)) is not None:
        return twin
    conversation = Conversation(subject=subject, created_by_id=sender.id, created_at=now, last_message_at=now)
    conversation.participants = [Participant(user_id=i) for i in (sender.id, *ids)]
    request.dbsession.add(conversation)
    request.dbsession.flush()
    post_message(request, conversation, sender, text)
    return conversation


TWIN_WINDOW = timedelta(minutes=1)


def just_started(dbsession, sender, ids: list[int], subject: str, text: str, now) -> Conversation | None:
    """The conversation ``sender`` started within a minute with the same words to the same
    people: the same form sent again (a double click, a slow connection). The sender's row is
    locked first, so that two such requests at once are one after the other (PostgreSQL;
    SQLite writes one at a time and runs the later request again)."""
    dbsession.execute(sa.select(User.id).where(User.id == sender.id).with_for_update())
    candidates = dbsession.scalars(
        sa.select(Conversation).join(Message, Message.conversation_id == Conversation.id)
        .where(Conversation.created_by_id == sender.id, Conversation.subject == subject,
               Conversation.created_at >= now - TWIN_WINDOW, Message.sender_id == sender.id, Message.text == text)
        .options(selectinload(Conversation.participants))).unique()
    wanted = {sender.id, *ids}
    return next((c for c in candidates if {p.user_id for p in c.participants} == wanted), None)


def participant(dbsession, conversation_id, user_id) -> Participant | None:
    return dbsession.execute(sa.select(Participant).where(
        Participant.conversation_id == conversation_id, Participant.user_id == user_id)).scalar_one_or_none()


def find_conversation(dbsession, raw_id, user) -> tuple[Conversation, Participant] | None:
    """The conversation if ``user`` takes part in it (otherwise None: answer 404)."""
    if (conversation_id := row_id(raw_id)) is None:
        return None
    row = dbsession.execute(
        sa.select(Conversation, Participant).join(Participant, Participant.conversation_id == Conversation.id)
        .where(Conversation.id == conversation_id, Participant.user_id == user.id)
        .options(selectinload(Conversation.participants).joinedload(Participant.user))).first()
    return None if row is None else (row[0], row[1])


def post_message(request, conversation: Conversation, sender, text: str) -> Message:
    others = [p.user_id for p in conversation.participants if p.user_id != sender.id]
    blockers = who_blocked(request.dbsession, sender.id, others)
    if others and len(blockers) == len(others):
        raise NotAllowed("Cette personne ne souhaite plus recevoir vos messages.")
    now = utcnow()
    message = Message(conversation_id=conversation.id, sender_id=sender.id, text=text, created_at=now)
    request.dbsession.add(message)
    conversation.last_message_at = now
    me = participant(request.dbsession, conversation.id, sender.id)
    me.last_read_at = now
    request.dbsession.flush()
    for user_id in others:
        if user_id not in blockers:
            queue_notice(request, conversation, sender, request.dbsession.get(User, user_id), now)
    return message


def notice_key(conversation_id: int, recipient_id: int, when: datetime) -> str:
    """One notice per conversation, recipient and clock hour: the outbox refuses the
    second row with the same key, whatever the number of messages."""
    return f"message-notice:{conversation_id}:{recipient_id}:{int(when.timestamp() // 3600)}"


def queue_notice(request, conversation, sender, recipient, now) -> None:
    how = shown_as(request, recipient, [sender.id]).get(sender.id)
    link = absolute_url(request, "messaging_conversation", conversation_id=conversation.id)
    notify_user(request, recipient, kind="message", title="Nouveau message sur la messagerie",
                body=f"Bonjour,\n\n{label_for(sender, how)} vous a écrit le {dates.datetime(now)}"
                     f"{' : « ' + conversation.subject + ' »' if conversation.subject else ''}.\n"
                     f"Lisez le message sur la plateforme :\n{link}\n\n"
                     "(Un seul avis par heure et par conversation.)",
                channels=("email",), subject=("conversation", conversation.id),
                dedupe_key=notice_key(conversation.id, recipient.id, now))


def messages_for(dbsession, conversation: Conversation, viewer, hidden_senders=None) -> list[Message]:
    """``hidden_senders``: ``blocked_ids`` of the viewer, when the caller has them already."""
    hidden_senders = blocked_ids(dbsession, viewer.id) if hidden_senders is None else hidden_senders
    rows = dbsession.scalars(sa.select(Message).where(Message.conversation_id == conversation.id)
                             .order_by(Message.created_at, Message.id))
    return [m for m in rows if m.sender_id not in hidden_senders]


def mark_read(me: Participant) -> None:
    me.last_read_at = utcnow()


def _unread_condition(user_id: int):
    return sa.and_(
        Participant.user_id == user_id,
        Message.conversation_id == Participant.conversation_id,
        Message.sender_id != user_id,
        sa.or_(Participant.last_read_at.is_(None), Message.created_at > Participant.last_read_at),
        Message.sender_id.not_in(sa.select(Block.blocked_id).where(Block.blocker_id == user_id)),
    )


def unread_total_sql(user_id: int):
    """The number of unread messages of ``user_id``, as a SQL scalar expression: counted
    conversation by conversation in ``ix_msg_messages_conversation_created`` (as a join,
    PostgreSQL read the whole messages table for a référent's 150 conversations, issue 16)."""
    unread = sa.select(sa.func.count(Message.id)).where(_unread_condition(user_id)).scalar_subquery()
    return (sa.select(sa.cast(sa.func.coalesce(sa.func.sum(unread), 0), sa.Integer))
            .where(Participant.user_id == user_id).scalar_subquery())


@cache
def viewer_unread_total_sql():
    """``unread_total_sql`` of the signed-in user, built once per process (the menu's
    statement binds ``VIEWER``, vvs_core.web.batch)."""
    from vvs_core.web.batch import VIEWER

    return unread_total_sql(sa.bindparam(VIEWER))


def unread_total(dbsession, user_id: int) -> int:
    return dbsession.scalar(sa.select(unread_total_sql(user_id))) or 0


INBOX_PAGE = 25


def _inbox_statement(user_id: int):
    return (sa.select(Conversation).join(Participant, Participant.conversation_id == Conversation.id)
            .where(Participant.user_id == user_id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .options(selectinload(Conversation.participants).joinedload(Participant.user)))


def _inbox_rows(request, user, conversations) -> list[dict]:
    """The lines of ``conversations``: unread counts (one statement) and who is in them."""
    db = request.dbsession
    ids = [c.id for c in conversations]
    unread = dict(db.execute(
        sa.select(Message.conversation_id, sa.func.count(Message.id)).select_from(Participant)
        .join(Message, Message.conversation_id == Participant.conversation_id)
        .where(_unread_condition(user.id), Participant.conversation_id.in_(ids or [-1]))
        .group_by(Message.conversation_id)).all()) if ids else {}
    people = shown_as(request, user, {p.user for c in conversations for p in c.participants if p.user is not None})
    out = []
    for c in conversations:
        others = [label_for(p.user, people.get(p.user_id)) for p in c.participants if p.user_id != user.id]
        out.append({"conversation": c, "with": ", ".join(others) or "vous seul",
                    "unread": unread.get(c.id, 0), "when": aware(c.last_message_at)})
    return out


def inbox(request, user) -> list[dict]:
    """The user's conversations, newest first (at most 200), with unread counts and who is in them."""
    conversations = request.dbsession.scalars(_inbox_statement(user.id).limit(200)).all()
    return _inbox_rows(request, user, conversations)


def inbox_page(request, user, size: int = INBOX_PAGE):
    """The page of the inbox the request asks for (``vvs_core.web.pagination``)."""
    from vvs_core.web.pagination import paginate

    page = paginate(request, _inbox_statement(user.id), size)
    page.items = _inbox_rows(request, user, page.items)
    return page


def block(dbsession, blocker, blocked_id: int) -> None:
    if blocked_id != blocker.id and blocked_id not in blocked_ids(dbsession, blocker.id):
        dbsession.add(Block(blocker_id=blocker.id, blocked_id=blocked_id, created_at=utcnow()))


def unblock(dbsession, blocker, blocked_id: int) -> None:
    dbsession.execute(sa.delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == blocked_id))


__all__ = ["NAME", "NotAllowed"]
