"""A page (GET) reads outside a transaction on PostgreSQL (issue 16: BEGIN and ROLLBACK
were two of its round trips), and begins one at its first write, lock or savepoint, so
that what it writes still commits or rolls back as one."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
import transaction
from transaction.interfaces import NoTransaction

from vvs_core.models import get_engine, get_session_factory, get_tm_session
from vvs_core.testing import postgis_url


def status(session):
    return session.connection().connection.dbapi_connection.info.transaction_status.name


@pytest.fixture(scope="module")
def engine():
    engine = get_engine(postgis_url())  # PostgreSQL only: SQLite pages keep their deferred BEGIN
    yield engine
    engine.dispose()


@pytest.fixture
def page_session(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS page_probe (id SERIAL PRIMARY KEY, label TEXT)"))
        conn.execute(sa.text("DELETE FROM page_probe"))
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = get_tm_session(get_session_factory(engine), manager)
    yield session, manager
    try:
        manager.abort()
    except NoTransaction:  # the test ended it
        pass
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE page_probe"))


def labels(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT label FROM page_probe ORDER BY id")).scalars().all()


def test_a_page_that_only_reads_opens_no_transaction(page_session):
    session, manager = page_session
    assert session.execute(sa.text("SELECT 1")).scalar() == 1
    assert status(session) == "IDLE"  # no BEGIN was sent
    manager.commit()


def test_a_page_that_writes_commits_or_rolls_back_as_one(page_session, engine):
    session, manager = page_session
    session.execute(sa.text("SELECT count(*) FROM page_probe"))
    session.execute(sa.text("INSERT INTO page_probe (label) VALUES ('Évènement « lu » 👀')"))
    assert status(session) == "INTRANS"
    session.execute(sa.text("INSERT INTO page_probe (label) VALUES ('deuxième')"))
    assert labels(engine) == []  # not visible elsewhere before the commit
    manager.abort()
    assert labels(engine) == []  # both rolled back


@pytest.mark.parametrize("statement", ["SELECT id FROM page_probe FOR UPDATE",
                                       "SELECT pg_advisory_xact_lock(4216)"])
def test_a_lock_begins_the_transaction_it_needs(page_session, statement):
    session, manager = page_session
    session.execute(sa.text(statement))
    assert status(session) == "INTRANS"  # the lock lasts until the page ends
    manager.commit()
