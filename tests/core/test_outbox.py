"""The outbox: rows, claim, send, retry with backoff, expiry, crash recovery, receipts,
reach — on SQLite and on PostgreSQL.

Time is passed explicitly (``now=``) to the delivery functions instead of sleeping.
Providers here are in-memory test doubles of remote services; the database, the
dramatiq stub broker and worker are real.
"""
from __future__ import annotations

import os
import threading
import uuid
from collections import Counter
from datetime import timedelta

import dramatiq
import dramatiq.broker
import pytest
import sqlalchemy as sa
from pyramid.config import Configurator

from vvs_core.jobs import tasks

if dramatiq.broker.global_broker is None:
    # As in the application: a broker before any actor is declared (dramatiq would
    # otherwise make up a RabbitMQ one).
    tasks.configure_broker({"vvs.broker_url": "inline"})

from vvs_core.clock import aware, utcnow  # noqa: E402
from vvs_core.errors import TransientDeliveryError  # noqa: E402
from vvs_core.interfaces import SendResult  # noqa: E402
from vvs_core.models import User, get_engine, get_session_factory  # noqa: E402
from vvs_core.models.notification import Notification, NotificationContent  # noqa: E402
from vvs_core.notify import actors  # noqa: E402
from vvs_core.notify.outbox import (  # noqa: E402
    format_reach, insert_notifications, notify_user, provider_key, reach_summary,
    record_receipt,
)
from vvs_core.plugins import build_plugin_manager, hookimpl  # noqa: E402
from vvs_core.hooktypes import NotificationKind  # noqa: E402
from vvs_core.notify.kinds import NotificationKinds  # noqa: E402
from vvs_core.providers import register_providers  # noqa: E402
from vvs_core.settings import core_registry  # noqa: E402

# The PostgreSQL server of the suite (`make test` sets VVS_TEST_DATABASE_URL); each
# run creates and drops a database of its own there.
PG_ADMIN_URL = sa.make_url(os.environ.get(
    "VVS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")).set(database="postgres")


# --- Test doubles of remote providers ----------------------------------------------

class RecordingSender:
    """Accepts everything unless scripted otherwise; counts what it accepted per key."""

    def __init__(self, name):
        self.name = name
        self.sends = Counter()
        self.accepted = {}
        self.batches = []
        self.script = {}          # dedupe key → "transient" | "permanent"
        self.raise_next = None    # an exception for the whole next batch

    def send_batch(self, messages):
        self.batches.append(list(messages))
        if self.raise_next is not None:
            exc, self.raise_next = self.raise_next, None
            raise exc
        results = []
        for m in messages:
            # The key a provider sees is the row's dedupe key and its nonce (outbox.provider_key).
            how = self.script.get(m.key.rsplit("~", 1)[0])
            if how == "transient":
                results.append(SendResult(m.key, ok=False, transient=True, error="503 indisponible"))
            elif how == "permanent":
                results.append(SendResult(m.key, ok=False, error="numéro inconnu"))
            else:
                self.sends[m.key] += 1
                self.accepted[m.key] = f"{self.name}-{uuid.uuid4().hex[:8]}"
                results.append(SendResult(m.key, ok=True, provider_ref=self.accepted[m.key]))
        return results


class LookupSender(RecordingSender):
    """A provider that can say what it already accepted (as OVH can, by tag)."""

    def already_sent(self, keys):
        return {k: self.accepted[k] for k in keys if k in self.accepted}


# --- Databases and a minimal registry ----------------------------------------------

@pytest.fixture(scope="session")
def pg_url():
    """A throwaway PostgreSQL database for this session (fails if PostgreSQL is down)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"vvs_test_outbox_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def backend_url(request, tmp_path, name: str) -> str:
    """The database of a test parametrized over ["sqlite", "postgresql"]: a file named
    ``name`` for SQLite, the session's throwaway database (``pg_url``) for PostgreSQL."""
    return f"sqlite:///{tmp_path}/{name}.sqlite" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def engine_with(url: str, tables):
    """An engine on ``url`` with ``tables`` (in the order of their creation) made afresh."""
    engine = get_engine(url)
    for table in reversed(tables):
        table.drop(engine, checkfirst=True)
    for table in tables:
        table.create(engine)
    return engine


OUTBOX_TABLES = (NotificationContent.__table__, Notification.__table__)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    engine = engine_with(backend_url(request, tmp_path, "outbox"), OUTBOX_TABLES)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def own_broker_then_the_suites_again():
    """Each test here configures a stub broker of its own; afterwards the rest of the
    suite (whose application is built once) must find its broker and actors again."""
    saved = dramatiq.broker.global_broker
    yield
    tasks.use_broker(saved)


@pytest.fixture
def providers():
    return {"sms": LookupSender("fake-sms"), "email": RecordingSender("fake-email")}


def make_registry(engine, providers, plugins=(), **overrides):
    raw = {"vvs.secret": "s" * 40, "vvs.broker_url": "inline", **overrides}
    settings = core_registry().resolve(raw, environ={})
    tasks.configure_broker(settings)
    config = Configurator(settings=settings)
    config.registry["dbsession_factory"] = get_session_factory(engine)
    pm = build_plugin_manager([], {})
    for plugin in plugins:
        pm.register(plugin)
    config.registry.vvs_plugins = pm
    config.include("pyramid_services")
    register_providers(config, providers)
    config.registry.vvs_periodic_tasks = []
    config.include("vvs_core.jobs.tasks")
    config.include("vvs_core.notify")
    config.commit()
    return config.registry


@pytest.fixture
def registry(engine, providers):
    return make_registry(engine, providers)


@pytest.fixture
def db(engine):
    Session = get_session_factory(engine)
    with Session() as session:
        yield session


def rows_for(n, channel="sms", prefix="alert:1", **extra):
    address = "+33612345678" if channel == "sms" else "voisin@example.org"
    return [{**dict(dedupe_key=f"{prefix}:{i}:{channel}", kind="alert", subject_type="alert", subject_id=1,
                    recipient_id=i, channel=channel, address=address, title="Alerte",
                    body=f"Alerte n°{i} : véhicule suspect"), **extra} for i in range(n)]


def add(db, rows) -> list[int]:
    ids = insert_notifications(db, rows)
    db.commit()
    return ids


def load(db, ids=None):
    db.commit()  # a fresh snapshot: SQLite keeps the old one while a transaction is open
    db.expire_all()
    q = sa.select(Notification).order_by(Notification.id)
    if ids is not None:
        q = q.where(Notification.id.in_(ids))
    return list(db.scalars(q))


def later(seconds):
    return utcnow() + timedelta(seconds=seconds)


def queued(broker, actor):
    """Messages waiting for ``actor`` in the stub broker (delayed ones included)."""
    messages = []
    for queue_name in (actor.queue_name, f"{actor.queue_name}.DQ"):
        queue = broker.queues.get(queue_name)
        while queue is not None and not queue.empty():
            message = dramatiq.Message.decode(queue.get_nowait())
            if message.actor_name == actor.actor_name:
                messages.append(message)
    return messages


# --- Rows ----------------------------------------------------------------------------

def test_insert_notifications_never_duplicates_a_rerun_fan_out(db):
    assert len(insert_notifications(db, rows_for(3))) == 3
    assert len(insert_notifications(db, rows_for(4))) == 1
    db.commit()
    assert [n.dedupe_key for n in load(db)] == [f"alert:1:{i}:sms" for i in range(4)]
    assert {(n.status, n.attempts) for n in load(db)} == {("pending", 0)}


def test_a_fan_out_writes_each_distinct_text_once_and_delivers_it_to_every_row(registry, db, providers):
    """An alert's rows share their text (``notification_contents``): 300 members × 2
    channels are two texts, not 600 copies, and each provider gets the whole text."""
    title, sms = "Alerte « Rue de l’Église » 🚨", "Véhicule suspect, plaque « AB-123 » — appelez le 17"
    html = "<p>Véhicule suspect, plaque « AB-123 »</p>"
    rows = [dict(dedupe_key=f"alert:7:{i}:{channel}", kind="alert", subject_type="alert", subject_id=7,
                 recipient_id=i, channel=channel, title=title, body=sms,
                 address="+33612345678" if channel == "sms" else f"voisin{i}@exemple.fr",
                 html=html if channel == "email" else None)
            for i in range(300) for channel in ("sms", "email")]
    ids = add(db, rows)
    assert len(ids) == 600
    contents = db.execute(sa.select(NotificationContent.title, NotificationContent.body, NotificationContent.html)
                          .order_by(NotificationContent.html.is_(None))).all()
    assert [tuple(c) for c in contents] == [(title, sms, html), (title, sms, None)]
    assert add(db, rows) == []  # a re-run writes neither rows nor texts
    assert db.scalar(sa.select(sa.func.count()).select_from(NotificationContent)) == 2
    assert {(n.title, n.body, n.html) for n in load(db)} == {(title, sms, html), (title, sms, None)}
    # The same text written later (another fan-out, another transaction) is found, not copied.
    add(db, [dict(rows[0], dedupe_key="alert:8:0:sms")])
    assert db.scalar(sa.select(sa.func.count()).select_from(NotificationContent)) == 2

    actors.deliver_notifications(ids, registry)
    texts, mails = [m for b in providers["sms"].batches for m in b], [m for b in providers["email"].batches for m in b]
    assert len(texts) == len(mails) == 300
    # The SMS in GSM-7 (« » and the dash have no place there), the e-mail as written.
    assert {m.text for m in texts} == {'Véhicule suspect, plaque "AB-123" - appelez le 17'}
    assert {(m.subject, m.text, m.html) for m in mails} == {(title, sms, html)}


def test_notification_text_reads_as_columns_in_sql_and_on_objects(db):
    """``Notification.title`` (and body, html) stay usable in statements and on new objects."""
    add(db, rows_for(2))
    db.add(Notification(dedupe_key="direct:1", kind="message", channel="email", address="a@exemple.fr",
                        title="Écrit à la main", body="Corps « direct »"))
    db.commit()
    titles = db.execute(sa.select(Notification.dedupe_key, Notification.title, Notification.body)
                        .order_by(Notification.id)).all()
    assert [tuple(t) for t in titles] == [("alert:1:0:sms", "Alerte", "Alerte n°0 : véhicule suspect"),
                                          ("alert:1:1:sms", "Alerte", "Alerte n°1 : véhicule suspect"),
                                          ("direct:1", "Écrit à la main", "Corps « direct »")]
    assert db.scalar(sa.select(Notification.id).where(Notification.title == "Écrit à la main")) is not None


def test_insert_notifications_accepts_rows_with_and_without_expiry(db):
    rows = rows_for(2)
    rows[1]["expires_at"] = later(3600)
    assert len(insert_notifications(db, rows)) == 2


def test_insert_notifications_refuses_unknown_fields_and_channels(db):
    with pytest.raises(ValueError, match="unknown notification fields"):
        insert_notifications(db, [dict(rows_for(1)[0], colour="red")])
    with pytest.raises(ValueError, match="unknown channel"):
        insert_notifications(db, [dict(rows_for(1)[0], channel="pigeon")])


def test_long_dedupe_keys_stay_unique_within_the_column(db):
    base = "x" * 300
    assert len(insert_notifications(db, [dict(rows_for(1)[0], dedupe_key=base + "a"),
                                         dict(rows_for(1)[0], dedupe_key=base + "b")])) == 2
    assert all(len(n.dedupe_key) <= 200 for n in load(db))


# --- Delivery ------------------------------------------------------------------------

def test_deliver_sends_due_rows_once_and_records_the_reference(registry, providers, db):
    ids = add(db, rows_for(3) + rows_for(2, channel="email"))
    assert actors.deliver_notifications(ids, registry) == {"sent": 5}
    assert actors.deliver_notifications(ids, registry) == {}
    rows = load(db)
    assert {n.status for n in rows} == {"sent"}
    assert all(n.provider_ref == providers[n.channel].accepted[provider_key(n)] for n in rows)
    assert {n.provider for n in rows} == {"fake-sms", "fake-email"}
    assert all(n.attempts == 1 and n.sent_at and n.claimed_at for n in rows)
    assert sum(providers["sms"].sends.values()) == 3 and len(providers["sms"].batches) == 1
    email = providers["email"].batches[0][0]
    assert (email.to, email.subject, email.text) == ("voisin@example.org", "Alerte", "Alerte n°0 : véhicule suspect")


def test_rows_not_yet_due_are_left_alone(registry, providers, db):
    ids = add(db, rows_for(1))
    assert actors.deliver_notifications(ids, registry, now=utcnow() - timedelta(seconds=30)) == {}
    assert load(db)[0].status == "pending" and not providers["sms"].batches


def test_transient_failures_back_off_doubling_up_to_60s_then_fail(registry, providers, db):
    ids = add(db, rows_for(1))
    providers["sms"].script["alert:1:0:sms"] = "transient"
    now = utcnow()
    delays = []
    for attempt in range(1, 7):
        assert actors.deliver_notifications(ids, registry, now=now) == {"retry": 1}
        [row] = load(db)
        assert row.attempts == attempt and row.last_error.startswith("503")
        if row.status == "failed":
            break
        delays.append((aware(row.next_attempt_at) - now).total_seconds())
        assert actors.deliver_notifications(ids, registry, now=now + timedelta(seconds=delays[-1] - 1)) == {}
        now = aware(row.next_attempt_at)
    assert delays == [5, 10, 20, 40, 60]
    assert row.status == "failed" and "6 tentatives" in row.last_error
    assert not providers["sms"].sends


def test_a_transient_failure_sends_a_delayed_retry_message(registry, providers, db):
    ids = add(db, rows_for(1))
    providers["sms"].script["alert:1:0:sms"] = "transient"
    actors.deliver_notifications(ids, registry)
    [message] = queued(actors.deliver.broker, actors.deliver)
    assert message.args == ([ids[0]],) and 4000 < message.options["eta"] - dramatiq.common.current_millis() <= 5000


def test_retry_succeeds_when_the_provider_recovers(registry, providers, db):
    ids = add(db, rows_for(2))
    providers["sms"].raise_next = TransientDeliveryError("délai dépassé")
    assert actors.deliver_notifications(ids, registry) == {"retry": 2}
    assert actors.deliver_notifications(ids, registry, now=later(6)) == {"sent": 2}
    assert [n.attempts for n in load(db)] == [2, 2]
    assert set(providers["sms"].sends.values()) == {1}


def test_permanent_failure_is_failed_at_once(registry, providers, db):
    ids = add(db, rows_for(2))
    providers["sms"].script["alert:1:1:sms"] = "permanent"
    assert actors.deliver_notifications(ids, registry) == {"sent": 1, "failed": 1}
    assert [(n.status, n.last_error) for n in load(db)] == [("sent", ""), ("failed", "numéro inconnu")]


def test_a_channel_without_provider_fails_with_a_french_reason(engine, db):
    registry = make_registry(engine, {"email": RecordingSender("fake-email")})
    ids = add(db, rows_for(1))
    assert actors.deliver_notifications(ids, registry) == {"failed": 1}
    assert load(db)[0].last_error == "aucun fournisseur pour le canal sms"


def test_expired_rows_are_cancelled_and_never_sent(registry, providers, db):
    ids = add(db, rows_for(2, expires_at=utcnow() + timedelta(seconds=30)))
    assert actors.deliver_notifications(ids, registry, now=later(31)) == {}
    assert {n.status for n in load(db)} == {"cancelled"}
    assert not providers["sms"].batches


def test_a_retry_that_falls_after_expiry_is_cancelled(registry, providers, db):
    ids = add(db, rows_for(1, expires_at=utcnow() + timedelta(seconds=8)))
    providers["sms"].script["alert:1:0:sms"] = "transient"
    actors.deliver_notifications(ids, registry)
    providers["sms"].script.clear()
    actors.deliver_notifications(ids, registry, now=later(10))
    assert load(db)[0].status == "cancelled" and not providers["sms"].sends


def test_a_claimed_row_is_not_claimed_again_before_the_timeout(registry, db):
    ids = add(db, rows_for(2))
    start = utcnow()  # one fixed origin: on a busy machine seconds pass between two calls
    first = actors.claim_notifications(db, ids, start, 60)
    db.commit()
    assert len(first[0]) == 2
    assert actors.claim_notifications(db, ids, start + timedelta(seconds=59), 60) == ([], [])
    db.commit()
    fresh, reclaimed = actors.claim_notifications(db, ids, start + timedelta(seconds=61), 60)
    assert fresh == [] and [n.attempts for n in reclaimed] == [2, 2]


def test_a_claim_takes_the_rows_due_longest_first_whichever_message_it_came_with(db):
    """A backlog drains in the order rows fell due: rows whose message was lost, or is
    held by a dead worker, go with the next message claimed, not after the backlog."""
    lost = add(db, rows_for(3, prefix="lost", next_attempt_at=later(-120)))
    own = add(db, rows_for(2, prefix="own"))
    first, _ = actors.claim_notifications(db, own, utcnow(), 60)
    db.commit()
    assert [n.id for n in first] == lost[:2]  # as many as the message asked for
    assert {n.status for n in load(db, own)} == {"pending"}
    second, _ = actors.claim_notifications(db, own, utcnow(), 60)
    db.commit()
    assert [n.id for n in second] == [lost[2], own[0]]
    third, _ = actors.claim_notifications(db, own, utcnow(), 60)
    assert [n.id for n in third] == [own[1]]


def test_a_claim_leaves_rows_due_for_less_than_the_claim_timeout_to_their_message(db):
    others = add(db, rows_for(3, prefix="others", next_attempt_at=later(-30)))
    own = add(db, rows_for(2, prefix="own"))
    fresh, _ = actors.claim_notifications(db, own, utcnow(), 60)
    db.commit()
    assert [n.id for n in fresh] == own
    assert {n.status for n in load(db, others)} == {"pending"}


def test_rows_locked_by_another_claimer_are_skipped_not_waited_for(engine, db):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is nothing to skip")
    ids = add(db, rows_for(4))
    Session = get_session_factory(engine)
    with Session() as a, Session() as b:
        mine = actors.claim_notifications(a, ids[:2], utcnow(), 60)[0]  # not committed: rows locked
        b.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        theirs = actors.claim_notifications(b, ids, utcnow(), 60)[0]
        assert sorted(n.id for n in mine) == ids[:2] and sorted(n.id for n in theirs) == ids[2:]
        a.commit()
        b.commit()


def test_crash_after_the_provider_accepted_is_recorded_not_resent(registry, providers, db):
    """A worker claimed, the provider accepted, the worker died before recording."""
    ids = add(db, rows_for(3))
    [claimed, _] = actors.claim_notifications(db, ids, utcnow(), 60)
    db.commit()
    sms = providers["sms"]
    sms.send_batch([actors.build_message(n, actors.render_stored(n)) for n in claimed[:2]])
    assert actors.deliver_notifications(ids, registry, now=later(30)) == {}  # claim still fresh
    assert actors.deliver_notifications(ids, registry, now=later(61)) == {"sent": 3}
    rows = load(db)
    assert {n.status for n in rows} == {"sent"}
    assert set(sms.sends.values()) == {1}  # two looked up, the third sent
    assert [n.provider_ref for n in rows] == [sms.accepted[provider_key(n)] for n in rows]


def test_crash_without_provider_lookup_resends_once_after_the_timeout(engine, db):
    email = RecordingSender("fake-email")
    registry = make_registry(engine, {"email": email})
    ids = add(db, rows_for(1, channel="email"))
    actors.claim_notifications(db, ids, utcnow(), 60)
    db.commit()
    assert actors.deliver_notifications(ids, registry, now=later(61)) == {"sent": 1}
    assert email.sends == {provider_key(load(db)[0]): 1}


def test_an_unexpected_provider_error_leaves_the_row_to_be_looked_up(registry, providers, db):
    ids = add(db, rows_for(1))
    providers["sms"].raise_next = RuntimeError("réponse illisible")
    assert actors.deliver_notifications(ids, registry) == {"unknown": 1}
    [row] = load(db)
    assert row.status == "sending" and "inconnue" in row.last_error
    assert actors.deliver_notifications(ids, registry, now=later(61)) == {"sent": 1}


def test_a_reclaimed_expired_row_that_was_sent_is_recorded_as_sent(registry, providers, db):
    ids = add(db, rows_for(2, expires_at=utcnow() + timedelta(seconds=30)))
    [claimed, _] = actors.claim_notifications(db, ids, utcnow(), 60)
    db.commit()
    providers["sms"].send_batch([actors.build_message(claimed[0], actors.render_stored(claimed[0]))])
    assert actors.deliver_notifications(ids, registry, now=later(61)) == {"sent": 1, "cancelled": 1}
    assert [n.status for n in load(db)] == ["sent", "cancelled"]


# --- The key providers see (``outbox.provider_key``) ----------------------------------

def crash_after_claim(db, ids):
    """A worker claimed the rows and died before sending anything."""
    actors.claim_notifications(db, ids, utcnow(), 60)
    db.commit()


def test_two_installations_on_one_provider_account_hand_it_different_keys(engine, providers, db, tmp_path):
    """Both write "alert:1:0:sms"; the second one's crash recovery must not take the first
    one's message for its own and record an alert as sent that nobody received."""
    other = engine_with(f"sqlite:///{tmp_path}/autre.sqlite", OUTBOX_TABLES)
    with get_session_factory(other)() as other_db:
        assert actors.deliver_notifications(add(db, rows_for(1)), make_registry(engine, providers)) == {"sent": 1}
        ids = add(other_db, rows_for(1))
        crash_after_claim(other_db, ids)
        assert actors.deliver_notifications(ids, make_registry(other, providers), now=later(61)) == {"sent": 1}
        [mine], [theirs] = load(db), load(other_db)
    other.dispose()
    assert mine.dedupe_key == theirs.dedupe_key == "alert:1:0:sms"
    assert provider_key(mine) != provider_key(theirs)
    assert providers["sms"].sends == {provider_key(mine): 1, provider_key(theirs): 1}
    assert theirs.provider_ref == providers["sms"].accepted[provider_key(theirs)] != mine.provider_ref


def test_a_restored_database_does_not_take_its_new_rows_for_old_messages(engine, providers, db):
    """Restored from a backup older than the rows sent since: ids and dedupe keys come again."""
    url = engine.url.render_as_string(hide_password=False)
    old_ids = add(db, rows_for(2))
    assert actors.deliver_notifications(old_ids, make_registry(engine, providers)) == {"sent": 2}
    old = load(db)
    db.close()
    engine_with(url, OUTBOX_TABLES).dispose()  # the backup: before those two rows
    ids = add(db, rows_for(2))
    crash_after_claim(db, ids)
    assert actors.deliver_notifications(ids, make_registry(engine, providers), now=later(61)) == {"sent": 2}
    new = load(db)
    assert [n.id for n in new] == [n.id for n in old] and [n.dedupe_key for n in new] == [n.dedupe_key for n in old]
    assert not {provider_key(n) for n in new} & {provider_key(n) for n in old}
    assert set(providers["sms"].sends.values()) == {1} and len(providers["sms"].sends) == 4


def test_provider_keys_fit_the_column_and_rows_older_than_the_nonce_keep_theirs(db):
    base = "alerte:" + "x" * 300
    add(db, [dict(rows_for(1)[0], dedupe_key=base + "a"), dict(rows_for(1)[0], dedupe_key=base + "b")])
    keys = [provider_key(n) for n in load(db)]
    assert len(set(keys)) == 2 and all(len(k) <= 200 for k in keys)
    db.execute(sa.update(Notification).values(nonce=None))
    assert [provider_key(n) for n in load(db)] == [n.dedupe_key for n in load(db)]


class SMSRenderer:
    @hookimpl
    def vvs_render_notification(self, request, notification, channel):
        if channel == "sms":
            return {"subject": "", "text": f"[VVS] {notification.title.upper()}", "html": None}


class BrokenRenderer:
    @hookimpl
    def vvs_render_notification(self, request, notification, channel):
        raise KeyError("template missing")


def test_plugins_render_notifications_and_a_broken_renderer_loses_nothing(engine, providers, db):
    ids = add(db, rows_for(1) + rows_for(1, channel="email"))
    actors.deliver_notifications(ids, make_registry(engine, providers, plugins=[SMSRenderer()]))
    assert providers["sms"].batches[0][0].text == "[VVS] ALERTE"
    assert providers["email"].batches[0][0].text == "Alerte n°0 : véhicule suspect"
    ids = add(db, rows_for(1, prefix="alert:2"))
    actors.deliver_notifications(ids, make_registry(engine, providers, plugins=[BrokenRenderer()]))
    # the stored text, as every SMS leaves: in GSM-7 (vvs_core.notify.sms)
    assert providers["sms"].batches[1][0].text == "Alerte no0 : véhicule suspect"


# --- Sweeper ---------------------------------------------------------------------------

def test_sweeper_reenqueues_due_and_stuck_rows_and_cancels_expired(registry, db):
    due = add(db, rows_for(3, prefix="due"))
    stuck = add(db, rows_for(2, prefix="stuck"))
    add(db, rows_for(1, prefix="future"))
    expired = add(db, rows_for(1, prefix="expired", expires_at=utcnow() + timedelta(seconds=5)))
    actors.claim_notifications(db, stuck, utcnow(), 60)
    db.execute(sa.update(Notification).where(Notification.dedupe_key.like("future%"))
               .values(next_attempt_at=later(600)))
    db.commit()
    broker = actors.deliver.broker
    queued(broker, actors.deliver)
    assert actors.sweep_notifications(registry, now=later(61)) == 5
    assert sorted(i for m in queued(broker, actors.deliver) for i in m.args[0]) == sorted(due)
    # rows a dead worker held jump the queue
    assert sorted(i for m in queued(broker, actors.redeliver) for i in m.args[0]) == sorted(stuck)
    assert actors.redeliver.queue_name == "outbox_recovery" and actors.redeliver.priority < actors.deliver.priority
    assert load(db, expired)[0].status == "cancelled"


def test_sweeper_leaves_rows_due_for_less_than_the_claim_timeout_to_their_message(registry, db):
    start = utcnow()  # before the rows: they are due for 59 s at most however slow the machine
    add(db, rows_for(3))
    queued(actors.deliver.broker, actors.deliver)
    assert actors.sweep_notifications(registry, now=start + timedelta(seconds=59)) == 0
    assert queued(actors.deliver.broker, actors.deliver) == []


def test_sweeper_leaves_a_backlog_that_workers_are_draining_to_them(registry, db):
    """Rows waiting behind a long backlog are not lost while workers claim rows (each
    claim takes the oldest first): re-enqueueing them at every lease cost more than
    sending them. Once nothing has been claimed for the claim timeout, they are."""
    waiting = add(db, rows_for(3, prefix="waiting"))
    moving = add(db, rows_for(1, prefix="moving"))
    actors.claim_notifications(db, moving, later(50), 60)  # a worker claimed rows 50 s from now
    db.commit()
    broker = actors.deliver.broker
    queued(broker, actors.deliver)
    assert actors.sweep_notifications(registry, now=later(100)) == 0  # claimed 50 s ago: moving
    assert queued(broker, actors.deliver) == []
    assert actors.sweep_notifications(registry, now=later(111)) == 4  # stalled: the lost rows, and the stuck one
    assert sorted(i for m in queued(broker, actors.deliver) for i in m.args[0]) == sorted(waiting)
    assert [m.args for m in queued(broker, actors.redeliver)] == [(moving,)]


def test_sweeper_takes_rows_scheduled_for_later_as_soon_as_they_are_due(registry, db):
    """Quiet hours: a row written with a later next_attempt_at has no message of its own."""
    due = utcnow() + timedelta(hours=8)
    ids = add(db, rows_for(2, next_attempt_at=due))
    queued(actors.deliver.broker, actors.deliver)
    # one second before and after the rows' own time (not « now »: a busy machine takes seconds to get here)
    assert actors.sweep_notifications(registry, now=due - timedelta(seconds=1)) == 0
    assert actors.sweep_notifications(registry, now=due + timedelta(seconds=1)) == 2
    assert [m.args for m in queued(actors.deliver.broker, actors.deliver)] == [(ids,)]


def test_sweeper_reenqueues_a_lost_or_stuck_row_once_per_lease_not_at_every_pass(registry, db):
    """A backlog longer than the claim timeout must not be re-enqueued at every pass
    (on a loaded machine that was thousands of duplicate messages a second)."""
    lost = add(db, rows_for(3, prefix="lost"))
    stuck = add(db, rows_for(2, prefix="stuck"))
    start = utcnow()  # one origin for every pass: on a busy machine seconds pass between two
    at = lambda seconds: start + timedelta(seconds=seconds)  # noqa: E731
    actors.claim_notifications(db, stuck, start, 60)
    db.commit()
    broker = actors.deliver.broker
    queued(broker, actors.deliver)  # the messages are gone (a restarted Redis)
    assert actors.sweep_notifications(registry, now=at(61)) == 5
    assert [r.lease_until is not None for r in load(db)] == [True] * 5
    assert actors.sweep_notifications(registry, now=at(62)) == 0
    assert actors.sweep_notifications(registry, now=at(120)) == 0
    assert actors.sweep_notifications(registry, now=at(123)) == 5  # the new lease ran out too
    assert sorted(i for m in queued(broker, actors.deliver) for i in m.args[0]) == sorted(lost * 2)
    assert sorted(i for m in queued(broker, actors.redeliver) for i in m.args[0]) == sorted(stuck * 2)


def test_a_claim_and_a_retry_lease_the_row(registry, db, providers):
    ids = add(db, rows_for(2))
    providers["sms"].script[f"alert:1:1:sms"] = "transient"
    now = utcnow()
    actors.deliver_notifications(ids, registry, now=now)
    sent, retried = load(db)
    assert sent.status == "sent" and aware(sent.lease_until) == now + timedelta(seconds=60)
    # due after the backoff (5 s); its delayed message is in flight a claim timeout more
    assert retried.status == "pending" and aware(retried.lease_until) == now + timedelta(seconds=65)
    assert actors.sweep_notifications(registry, now=now + timedelta(seconds=64)) == 0
    assert actors.sweep_notifications(registry, now=now + timedelta(seconds=66)) == 1


def test_two_sweepers_skip_the_rows_the_other_holds_instead_of_deadlocking(engine, registry, db):
    """Every worker machine may run a scheduler: two sweeps at once on a backlog deadlocked
    (each updating thousands of rows in its own order) and re-enqueued nothing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is nothing to skip")
    ids = add(db, rows_for(4))
    results = []
    with engine.connect() as other:
        with other.begin():  # another sweeper (or a worker's claim) holds two rows
            other.execute(sa.select(Notification.id).where(Notification.id.in_(ids[:2])).with_for_update())
            sweep = threading.Thread(target=lambda: results.append(
                actors.sweep_notifications(registry, now=later(61))))
            sweep.start()
            sweep.join(timeout=30)
            assert not sweep.is_alive(), "the sweep waited for rows another one holds"
    assert results == [2]
    assert actors.sweep_notifications(registry, now=later(62)) == 2  # the rows the other one held


def test_any_claim_first_takes_what_a_dead_worker_held(registry, db, providers):
    """Rows whose claim was not renewed for the claim timeout go with the next batch any
    worker claims (looked up at the provider first), not only with the sweeper's
    ``redeliver`` message, which a killed worker may have fetched too."""
    tasks.set_task_registry(registry)
    held = add(db, rows_for(2, prefix="held"))
    actors.claim_notifications(db, held, utcnow(), 60)
    db.execute(sa.update(Notification).values(claimed_at=later(-61)))  # a worker that died a minute ago
    db.commit()
    providers["sms"].send_batch([actors.build_message(n, actors.render_stored(n)) for n in load(db)[:1]])
    fresh = add(db, rows_for(3, prefix="fresh"))
    actors.deliver.fn(fresh)  # as many rows as it names: the dead worker's two first, then one of its own
    assert [n.status for n in load(db)] == ["sent", "sent", "sent", "pending", "pending"]
    assert list(providers["sms"].sends.values()) == [1, 1, 1]  # the first one looked up, not sent again
    actors.deliver.fn(fresh)
    assert {n.status for n in load(db)} == {"sent"}


def test_sweeper_work_per_pass_is_bounded(registry, db):
    """``limit`` rows per pass while workers claim rows; when nothing was claimed for
    the claim timeout (the broker forgot everything), a whole lost backlog in one pass,
    up to ``stalled_limit``."""
    add(db, rows_for(30))
    retried = add(db, rows_for(20, prefix="retried"))
    db.execute(sa.update(Notification).where(Notification.id.in_(retried))
               .values(lease_until=later(-1)))  # retries whose delayed message was lost
    [sent] = add(db, rows_for(1, prefix="sent"))
    db.execute(sa.update(Notification).where(Notification.id == sent)
               .values(status="sent", claimed_at=later(59)))  # a worker claimed rows at 59 s
    db.commit()
    broker = actors.deliver.broker
    queued(broker, actors.deliver)
    assert actors.sweep_notifications(registry, now=later(61), limit=12, stalled_limit=25) == 12  # moving
    assert sum(len(m.args[0]) for m in queued(broker, actors.deliver)) == 12
    assert actors.sweep_notifications(registry, now=later(130), limit=12, stalled_limit=25) == 25  # stalled
    assert sum(len(m.args[0]) for m in queued(broker, actors.deliver)) == 25


def test_includeme_registers_the_sweeper_as_a_periodic_task(registry):
    assert registry.vvs_periodic_tasks == [("sweep_outbox", actors.sweep_outbox, 15)]


# --- notify_user ------------------------------------------------------------------------

def person(**kw):
    defaults = dict(id=7, email="marie@example.org", mobile="+33698765432", notification_prefs={}, status="active")
    return User(**{**defaults, **kw})


def notify(registry, user, kind="membership", **kw):
    with tasks.task_request(registry) as request:
        ids = notify_user(request, user, kind, "Demande acceptée", "Bienvenue !", **kw)
    return ids


def test_notify_user_uses_defaults_then_preferences(registry, db):
    notify(registry, person(), channels=("email",), dedupe_key="m:1")
    notify(registry, person(notification_prefs={"membership": ["sms"]}), dedupe_key="m:2")
    notify(registry, person(notification_prefs={"membership": []}), dedupe_key="m:3")
    assert [(n.dedupe_key, n.channel, n.address) for n in load(db)] == [
        ("m:1:email", "email", "marie@example.org"), ("m:2:sms", "sms", "+33698765432")]


def test_notify_user_skips_channels_without_address_and_closed_accounts(registry, db):
    notify(registry, person(mobile=None), channels=("email", "sms"), dedupe_key="a")
    notify(registry, person(status="closed"), dedupe_key="b")
    assert [n.dedupe_key for n in load(db)] == ["a:email"]


def test_always_reach_kinds_keep_one_channel(registry, db):
    """A kind declared ``always_reach`` (vvs_register_notification_kinds) reaches the
    resident on one channel whatever they chose; any other kind respects an empty choice."""
    registry.vvs_notification_kinds = NotificationKinds([NotificationKind("warning", "Avertissements",
                                                                          always_reach=True)])
    notify(registry, person(notification_prefs={"warning": []}), kind="warning",
           channels=("sms", "email"), dedupe_key="a1")
    notify(registry, person(email=None, notification_prefs={"warning": ["email"]}), kind="warning",
           channels=("email",), dedupe_key="a2")
    notify(registry, person(notification_prefs={"news": []}), kind="news", channels=("sms", "email"),
           dedupe_key="a3")
    assert [n.dedupe_key for n in load(db)] == ["a1:sms", "a2:sms"]


def test_notify_user_twice_with_one_key_creates_one_row(registry, db):
    assert len(notify(registry, person(), dedupe_key="once")) == 1
    assert notify(registry, person(), dedupe_key="once") == []
    assert len(load(db)) == 1


def test_notify_user_enqueues_delivery_only_after_commit(registry, db):
    broker = actors.deliver.broker
    queued(broker, actors.deliver)
    with pytest.raises(ZeroDivisionError):
        with tasks.task_request(registry) as request:
            notify_user(request, person(), "membership", "t", "b", dedupe_key="rolled-back")
            1 / 0
    assert queued(broker, actors.deliver) == [] and load(db) == []
    ids = notify(registry, person(), dedupe_key="committed")
    assert [m.args for m in queued(broker, actors.deliver)] == [(ids,)]


def test_batches_follow_the_batch_size_setting(engine, providers, db):
    registry = make_registry(engine, providers, **{"vvs.outbox.batch_size": "4"})
    ids = add(db, rows_for(10))
    with tasks.task_request(registry) as request:
        from vvs_core.notify.outbox import enqueue_delivery_after_commit

        enqueue_delivery_after_commit(request, ids)
    assert [len(m.args[0]) for m in queued(actors.deliver.broker, actors.deliver)] == [4, 4, 2]


def test_a_dramatiq_worker_delivers_what_a_request_committed(registry, providers, db):
    previous = tasks._state["registry"]
    tasks.set_task_registry(registry)
    broker = actors.deliver.broker
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        notify(registry, person(), channels=("email", "sms"), dedupe_key="worker")
        broker.join(actors.deliver.queue_name, timeout=10_000)
        worker.join()
    finally:
        worker.stop()
        tasks.set_task_registry(previous)
    assert {(n.channel, n.status) for n in load(db)} == {("email", "sent"), ("sms", "sent")}


def test_concurrent_deliveries_of_the_same_ids_send_each_row_once(registry, providers, db):
    ids = add(db, rows_for(40))
    errors = []

    def run():
        try:
            actors.deliver_notifications(ids, registry)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {n.status for n in load(db)} == {"sent"}
    assert len(providers["sms"].sends) == 40 and set(providers["sms"].sends.values()) == {1}


# --- Reach and receipts ------------------------------------------------------------------

def test_reach_summary_and_its_french_sentence(registry, providers, db):
    ids = add(db, rows_for(3) + rows_for(2, channel="email"))
    add(db, rows_for(1, prefix="other", subject_id=2))
    providers["sms"].script["alert:1:2:sms"] = "permanent"
    actors.deliver_notifications(ids, registry)
    sms_ref = load(db, ids)[0].provider_ref
    assert record_receipt(db, "fake-sms", sms_ref, delivered=True)
    db.commit()
    summary = reach_summary(db, "alert", 1)
    assert summary == {"sms": {"delivered": 1, "sent": 1, "failed": 1}, "email": {"sent": 2}}
    assert format_reach(summary) == "SMS : 1 remis, 1 envoyé, 1 en échec · e-mail : 2 envoyés"
    assert format_reach({"sms": {"delivered": 47, "failed": 2}, "email": {"sent": 52}}) == \
        "SMS : 47 remis, 2 en échec · e-mail : 52 envoyés"
    assert format_reach({"push": {"sent": 3, "pending": 1, "cancelled": 1}}) == \
        "notifications : 3 envoyées, 1 en attente, 1 annulée"
    assert format_reach({}) == "aucune notification"


def test_receipts_are_idempotent_and_never_downgrade_delivered(registry, db):
    ids = add(db, rows_for(2))
    actors.deliver_notifications(ids, registry)
    first, second = load(db)
    assert record_receipt(db, "fake-sms", first.provider_ref, delivered=True)
    assert record_receipt(db, "fake-sms", first.provider_ref, delivered=True)
    assert record_receipt(db, "fake-sms", first.provider_ref, delivered=False, error="EXPIRED")
    # out of order: the failure report arrives before the delivery report
    assert record_receipt(db, "fake-sms", second.provider_ref, delivered=False, error="absent")
    assert record_receipt(db, "fake-sms", second.provider_ref, delivered=True)
    assert not record_receipt(db, "fake-sms", "unknown-ref", delivered=True)
    assert not record_receipt(db, "other-provider", first.provider_ref, delivered=True)
    db.commit()
    rows = load(db)
    assert [(n.status, n.last_error) for n in rows] == [("delivered", ""), ("delivered", "")]
    assert all(n.delivered_at for n in rows)


# --- A batch slower than the claim timeout ---------------------------------------------

class SlowSender(RecordingSender):
    """A provider that answers only once another worker has tried to reclaim the batch."""

    def __init__(self, name, while_sending):
        super().__init__(name)
        self.while_sending = while_sending

    def send_batch(self, messages):
        self.while_sending()
        return super().send_batch(messages)


@pytest.fixture
def pg_engine(pg_url):
    engine = engine_with(pg_url, OUTBOX_TABLES)
    yield engine
    engine.dispose()


def test_a_batch_slower_than_the_claim_timeout_keeps_its_claim_and_is_sent_once(pg_engine):
    """On a loaded machine a batch can take longer than the claim timeout: the worker
    renews its claim while it works, so no sweeper and no other worker takes it for a
    dead one's and sends it again; its outcomes are recorded against the renewed claim.
    (PostgreSQL: SQLite has one writer at a time and delivers inline.)"""
    from vvs_core.testing import wait_for

    Session = get_session_factory(pg_engine)
    with Session() as db:
        ids = add(db, rows_for(3) + rows_for(1, prefix="alert:2", channel="email"))
    seen = {}

    def meanwhile():
        with Session() as other:
            first = other.scalar(sa.select(sa.func.min(Notification.claimed_at)))

            def renewed():
                other.rollback()
                return other.scalar(sa.select(sa.func.min(Notification.claimed_at))) > first
            assert wait_for(renewed, timeout=20, interval=0.05), "the claim was never renewed"
            # The first claim is older than the timeout now; the renewed one is not.
            seen["reclaimed"] = actors.claim_notifications(other, ids, aware(first) + timedelta(seconds=3.5), 3)
            other.commit()
            seen["swept"] = actors.sweep_notifications(registry, now=aware(first) + timedelta(seconds=3.5))

    sms = SlowSender("fake-sms", meanwhile)
    email = RecordingSender("fake-email")
    email.script["alert:2:0:email"] = "transient"  # recorded against the renewed claim: back to pending
    registry = make_registry(pg_engine, {"sms": sms, "email": email}, **{"vvs.outbox.claim_timeout": "3"})
    queued(actors.deliver.broker, actors.deliver)
    assert actors.deliver_notifications(ids, registry) == {"sent": 3, "retry": 1}
    assert seen == {"reclaimed": ([], []), "swept": 0}
    with Session() as db:
        assert [(n.status, n.attempts) for n in load(db)] == [("sent", 1)] * 3 + [("pending", 1)]
    assert set(sms.sends.values()) == {1}
    queued(actors.deliver.broker, actors.deliver)
