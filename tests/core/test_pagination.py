"""vvs_core.web.pagination: one page and the list's total in one statement, on both backends;
"Page 2 sur 14"; links that keep the other parameters; bad page numbers never fail."""
from __future__ import annotations

import sqlalchemy as sa
from pyramid.testing import DummyRequest
from sqlalchemy import event

from vvs_core.models import User
from vvs_core.web.pagination import Pagination, page_number, paginate, paginate_list


def request_for(dbsession, **params):
    request = DummyRequest(params=params, path="/communaute/3/annuaire")
    request.GET = request.params
    request.dbsession = dbsession
    return request


def test_a_page_and_its_total_in_one_statement(dbsession, make_user):
    people = [make_user(first_name=f"Élise{i:02d}", last_name="Pagès") for i in range(23)]
    ids = [p.id for p in people]
    stmt = sa.select(User).where(User.id.in_(ids)).order_by(User.id)
    seen = []
    engine = dbsession.get_bind()

    def count(conn, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = paginate(request_for(dbsession, page="2", q="pagès"), stmt, 10)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1
    assert [u.id for u in page.items] == ids[10:20]
    assert (page.number, page.pages, page.total) == (2, 3, 23)
    assert page.label == "Page 2 sur 3"
    assert page.previous_url == "/communaute/3/annuaire?q=pag%C3%A8s"  # page 1: no parameter
    assert page.next_url == "/communaute/3/annuaire?q=pag%C3%A8s&page=3"
    last = paginate(request_for(dbsession, page="7"), stmt, 10)  # past the end: the last page
    assert last.number == 3 and [u.id for u in last.items] == ids[20:]
    columns = paginate(request_for(dbsession), sa.select(User.id, User.first_name).where(User.id.in_(ids))
                       .order_by(User.id), 5)
    assert columns.items[0] == (ids[0], "Élise00") and columns.pages == 5
    empty = paginate(request_for(dbsession, page="3"), stmt.where(User.id == -1), 10)
    assert (empty.items, empty.number, empty.pages, empty.total) == ([], 1, 1, 0)


def test_page_numbers_from_outside_never_fail():
    for raw, expected in (("", 1), ("0", 1), ("-2", 1), ("deux", 1), ("9" * 30, 1), ("١٢", 1), ("4", 4)):
        assert page_number(DummyRequest(params={"page": raw})) == expected, raw


def test_a_list_in_memory_and_big_numbers_in_french():
    page = paginate_list(request_for(None, page="3"), list(range(45)), 20)
    assert page.items == list(range(40, 45)) and page.label == "Page 3 sur 3" and not page.has_next
    big = Pagination(list(range(10)), 2, 10, 12_345)
    assert big.label == "Page 2 sur 1\u202f235"  # vvs_core.web.french.number: a narrow no-break space
