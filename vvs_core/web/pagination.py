"""Pages of the lists that grow (issue 16.3): a directory of 5,000 members, the lists that
plugins keep for years, the queues and the administration's lists. One helper for every page that lists them, so that they all read, count and show a
page the same way:

- ``paginate(request, stmt, size)`` reads one page of a SQL select **and the total in the
  same statement** (``count(*) OVER ()``), so paging costs no query of its own (the
  query budget of ``tests/perf/test_query_budget.py``); a page past the end shows the last.
- ``paginate_list(request, items, size)`` pages a list already in memory (a search done
  in Python).
- ``Pagination`` says where we are ("Page 2 sur 14", French numbers) and builds the links
  of the other pages on the current URL (its other parameters kept: a search, filters).

Offset pagination: the lists are ordered by a unique key (name then id, date then id), and
their hot statements walk an index (tests/perf/test_plans.py). The page's navigation is the
layout's ``pager`` macro: a ``<nav aria-label="Pagination">`` with "Précédente", the
position ("Page 2 sur 14", ``aria-current``) and "Suivante", wrapping at 360 px.
"""

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from sqlalchemy import func, select

PAGE_PARAM = "page"
MAX_PAGE_DIGITS = 6


def page_number(request, param: str = PAGE_PARAM) -> int:
    """The page asked for (``?page=N``); anything else (missing, 0, letters, huge) is page 1."""
    raw = str(request.params.get(param, "1")).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS:  # "١٢" is digits to Python
        return 1
    return max(1, int(raw))


def page_url(request, number: int, param: str = PAGE_PARAM) -> str:
    """The current page's path with ``param`` set to ``number`` (left out for page 1)."""
    query = [(k, v) for k, v in request.GET.items() if k != param]
    if number > 1:
        query.append((param, str(number)))
    return request.path + (("?" + urlencode(query)) if query else "")


@dataclass
class Pagination:
    """One page of a list: its ``items``, where it stands, and the links to the others."""

    items: list
    number: int
    size: int
    total: int
    url_for: Callable[[int], str] = field(repr=False, default=lambda n: f"?page={n}")
    aria_label: str = "Pagination"  # a page with two paginated lists names each navigation
    previous_text: str = "Page précédente"  # a feed, newest first: « Plus récentes »
    next_text: str = "Page suivante"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_url(self) -> str | None:
        return self.url_for(self.number - 1) if self.has_previous else None

    @property
    def next_url(self) -> str | None:
        return self.url_for(self.number + 1) if self.has_next else None

    @property
    def label(self) -> str:
        """"Page 2 sur 14" (numbers written the French way)."""
        from vvs_core.web.french import number

        return f"Page {number(self.number)} sur {number(self.pages)}"

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def __bool__(self) -> bool:
        return bool(self.items)


def paginate(request, stmt, size: int, *, dbsession=None, param: str = PAGE_PARAM,
             row: Callable[[Any], Any] | None = None, label: str = "Pagination") -> Pagination:
    """The page of ``stmt`` asked for by the request, read with the list's total in one
    statement. ``stmt`` must be ordered by a unique key and must not eager-load a
    collection with a join (its rows would be counted). Each item is the row's first
    column when the select has one (an entity), else the row without the total; ``row``
    may turn it into something else. ``param``: the page's query parameter (two lists on
    one page each have their own); ``label``: the navigation's accessible name."""
    dbsession = dbsession if dbsession is not None else request.dbsession
    number = page_number(request, param)
    counted = stmt.add_columns(func.count().over().label("pagination_total"))

    def read(n):
        return dbsession.execute(counted.limit(size).offset((n - 1) * size)).all()

    rows = read(number)
    if rows:
        total = rows[0][-1]
    else:
        total = dbsession.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        last = max(1, -(-total // size))
        if number > last:  # past the end (a list that shrank, a hand-typed URL): the last page
            number = last
            rows = read(number) if total else []
    width = len(stmt.column_descriptions)  # entities and columns as selected (not their table columns)
    items = [r[0] if width == 1 else tuple(r[:width]) for r in rows]
    if row is not None:
        items = [row(item) for item in items]
    return Pagination(items, number, size, total, lambda n: page_url(request, n, param), label)


def paginate_list(request, items: list, size: int, *, param: str = PAGE_PARAM, label: str = "Pagination") -> Pagination:
    """The page of a list already read (a feed gathered from several plugins' hooks)."""
    total = len(items)
    last = max(1, -(-total // size))
    number = min(page_number(request, param), last)
    start = (number - 1) * size
    return Pagination(list(items[start:start + size]), number, size, total, lambda n: page_url(request, n, param), label)
