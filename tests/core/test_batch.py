"""vvs_core.web.batch: a page's reads from several places in one statement, on both backends."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event

from vvs_core.web.batch import PageReads, ReadThen, json_rows, resolve_values
from vvs_core.models import CommunityEvent, Membership, User


def count_statements(dbsession):
    seen = []
    engine = dbsession.get_bind()

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


def test_json_rows_read_back_their_types_in_one_statement(dbsession, make_user, make_community):
    alice = make_user(first_name="Élodie", last_name="L’Hôte")
    community = make_community(name="Les Charmettes « Sud »", members=[alice])
    when = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # the night the clocks change in Paris
    dbsession.add(CommunityEvent(community_id=community.id, kind="member_joined", subject_user_id=alice.id,
                                 data={"raison": "déménagement 🏡", "n": 2}, public=True, created_at=when))
    dbsession.flush()
    reads = PageReads(dbsession)
    people = reads.add(json_rows(
        sa.select(User.id.label("id"), User.first_name.label("prenom"), User.last_name.label("nom"),
                  User.newsletter.label("lettre"), User.created_at.label("cree_le"))
        .join(Membership, Membership.user_id == User.id).where(Membership.community_id == community.id)
        .order_by(User.id)))
    events = reads.add(json_rows(
        sa.select(CommunityEvent.kind.label("type"), CommunityEvent.data.label("donnees"),
                  CommunityEvent.public.label("public"), CommunityEvent.created_at.label("le"))
        .where(CommunityEvent.community_id == community.id, CommunityEvent.created_at == when)))
    empty = reads.add(json_rows(sa.select(User.id.label("id")).where(User.id == -1)))
    count = reads.add(sa.select(sa.func.count(User.id)).where(User.id == alice.id).scalar_subquery())
    seen, stop = count_statements(dbsession)
    try:
        assert [p.prenom for p in people.value] == ["Élodie"]
        assert people.value[0].nom == "L’Hôte" and people.value[0].lettre in (True, False)
        assert people.value[0].cree_le.tzinfo is not None
        [row] = events.value
        assert row.donnees == {"raison": "déménagement 🏡", "n": 2}
        assert row.public is True and row.le == when and row.type == "member_joined"
        assert empty.value == [] and count.value == 1
    finally:
        stop()
    assert len(seen) == 1, seen


def test_resolve_values_reads_every_section_at_once(dbsession, make_user):
    alice = make_user(first_name="Zoé")
    data = {"a": {"gens": json_rows(sa.select(User.first_name.label("prenom")).where(User.id == alice.id))},
            "b": [ReadThen(json_rows(sa.select(User.id.label("id")).where(User.id == alice.id)),
                           lambda rows: [r.id for r in rows])],
            "c": "tel quel"}

    class Request:
        pass

    request = Request()
    request.dbsession = dbsession
    seen, stop = count_statements(dbsession)
    try:
        out = resolve_values(request, data)
    finally:
        stop()
    assert out == {"a": {"gens": [{"prenom": "Zoé"}]}, "b": [[alice.id]], "c": "tel quel"}
    assert len(seen) == 1


def test_a_statement_is_kept_once_its_expressions_come_twice_not_when_built_for_one_request():
    """What a page builds once per process (the menu's badges) gets one statement, kept; what a page builds
    for one request (a community's id written in) is not kept by the hundred: each kept statement is
    ~1,450 objects that every full garbage collection walks (the community page's p99, issue 16)."""
    from vvs_core.web import batch

    kept = len(batch._built)
    for n in range(300):  # three hundred requests, each building its own expression
        batch.batch_statement((sa.literal(n) + 1,))
    assert len(batch._built) == kept and len(batch._seen_once) <= 16
    once_per_process = (sa.literal("badge") + "s",)
    first = batch.batch_statement(once_per_process)
    assert batch.batch_statement(once_per_process) is first and batch.batch_statement(once_per_process) is first
    assert len(batch._built) == kept + 1
