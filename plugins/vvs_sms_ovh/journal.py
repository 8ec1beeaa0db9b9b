"""Which job each notification key went out in, written before OVH sees the job.

OVH tags a whole job, not a receiver, and a job gathers many notification keys.
To answer the outbox's ``already_sent(keys)`` after a worker died between OVH's
answer and the outbox's commit, the sender notes (key → job tag, receiver) in its
own committed transaction *before* posting the job; the lookup then asks OVH for
``GET /sms/{sn}/outgoing?tag=…&receiver=…``. A note without an OVH record means
the job never left: the row is sent again.

Notes older than ``KEEP`` are deleted as new ones are written: the outbox reclaims
a row after ``vvs.outbox.claim_timeout`` (a minute), not days later.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from vvs_core.clock import utcnow

from .models import OVHSentJournal

KEEP = timedelta(days=2)


class MemoryJournal:
    """For a sender built outside an application (contract tests, scripts)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.notes: dict[str, tuple[str, str]] = {}

    def record(self, entries: list[tuple[str, str, str]]) -> None:
        with self.lock:
            for key, tag, receiver in entries:
                self.notes[key] = (tag, receiver)

    def lookup(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        with self.lock:
            return {k: self.notes[k] for k in keys if k in self.notes}


class DatabaseJournal:
    """Notes in the ``ovh_sms_journal`` table, shared by every worker."""

    def __init__(self, registry):
        self.registry = registry  # the session factory is read at each call (tests swap it)

    def _session(self):
        return self.registry["dbsession_factory"]()

    def record(self, entries: list[tuple[str, str, str]]) -> None:
        if not entries:
            return
        now = utcnow()
        session = self._session()
        try:
            dialect = session.get_bind().dialect.name
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OVHSentJournal)
            stmt = insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"tag": insert.excluded.tag, "receiver": insert.excluded.receiver,
                      "created_at": insert.excluded.created_at})
            session.execute(stmt, [dict(key=k, tag=t, receiver=r, created_at=now) for k, t, r in entries])
            session.execute(sa.delete(OVHSentJournal).where(OVHSentJournal.created_at < now - KEEP))
            session.commit()
        finally:
            session.close()

    def lookup(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        if not keys:
            return {}
        session = self._session()
        try:
            rows = session.execute(sa.select(OVHSentJournal.key, OVHSentJournal.tag, OVHSentJournal.receiver)
                                   .where(OVHSentJournal.key.in_(list(keys))))
            return {key: (tag, receiver) for key, tag, receiver in rows}
        finally:
            session.close()
