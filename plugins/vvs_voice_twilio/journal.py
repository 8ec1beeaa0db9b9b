"""Which call each notification key became, noted around Twilio's answer.

Twilio keeps no tag of ours on a call. To answer the outbox's ``already_sent(keys)``
after a worker died between Twilio's answer and the outbox's commit, the caller notes
(key → landline) in its own committed transaction *before* asking Twilio, then the
call's sid once Twilio accepted it. A note with a sid is a call placed; a note without
one is asked of Twilio: a call to that landline created since the note, that no other
key owns, is this key's. A note without a Twilio call means it never left.

Notes older than ``KEEP`` are deleted as new ones are written.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from vvs_core.clock import utcnow

from .models import TwilioCallJournal

KEEP = timedelta(days=2)


@dataclass(frozen=True)
class Note:
    to: str
    call_sid: str | None
    created_at: datetime


class MemoryJournal:
    """For a caller built outside an application (contract tests, scripts)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.notes: dict[str, Note] = {}

    def intend(self, key: str, to: str) -> None:
        with self.lock:
            if key not in self.notes or self.notes[key].call_sid is None:
                self.notes[key] = Note(to, None, utcnow())

    def placed(self, key: str, call_sid: str) -> None:
        with self.lock:
            note = self.notes[key]
            self.notes[key] = Note(note.to, call_sid, note.created_at)

    def lookup(self, keys: list[str]) -> dict[str, Note]:
        with self.lock:
            return {k: self.notes[k] for k in keys if k in self.notes}

    def owned(self, sids: list[str]) -> set[str]:
        with self.lock:
            return {n.call_sid for n in self.notes.values() if n.call_sid in set(sids)}


class DatabaseJournal:
    """Notes in the ``twilio_voice_journal`` table, shared by every worker."""

    def __init__(self, registry):
        self.registry = registry  # the session factory is read at each call (tests swap it)

    def _run(self, work):
        session = self.registry["dbsession_factory"]()
        try:
            answer = work(session)
            session.commit()
            return answer
        finally:
            session.close()

    def intend(self, key: str, to: str) -> None:
        def work(session):
            now = utcnow()
            insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)
            session.execute(insert(TwilioCallJournal).values(key=key, to=to, call_sid=None, created_at=now)
                            .on_conflict_do_nothing(index_elements=["key"]))
            session.execute(sa.delete(TwilioCallJournal).where(TwilioCallJournal.created_at < now - KEEP))
        self._run(work)

    def placed(self, key: str, call_sid: str) -> None:
        self._run(lambda session: session.execute(
            sa.update(TwilioCallJournal).where(TwilioCallJournal.key == key).values(call_sid=call_sid)))

    def lookup(self, keys: list[str]) -> dict[str, Note]:
        if not keys:
            return {}
        rows = self._run(lambda session: session.execute(
            sa.select(TwilioCallJournal.key, TwilioCallJournal.to, TwilioCallJournal.call_sid,
                      TwilioCallJournal.created_at).where(TwilioCallJournal.key.in_(list(keys)))).all())
        return {key: Note(to, sid, created) for key, to, sid, created in rows}

    def owned(self, sids: list[str]) -> set[str]:
        if not sids:
            return set()
        return set(self._run(lambda session: session.scalars(
            sa.select(TwilioCallJournal.call_sid).where(TwilioCallJournal.call_sid.in_(list(sids)))).all()))
