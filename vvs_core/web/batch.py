"""What a page reads from several places, in one statement.

A page is made of parts that know nothing of each other: the header menu (each plugin's
badges), the community page's plugin panels, a dashboard's widgets, the GDPR
archive's sections. Each used to run its own statements, so a page cost one more query
per plugin. Here each part hands a *scalar SQL expression* to ``request.page_reads``
and gets a ``Deferred`` back; the first time any deferred value is needed, every
expression collected so far runs in one ``SELECT`` (issue 16.1, docs/architecture.md
"Statements per page").

A list fits in a scalar expression through ``json_rows(select(…))``: the rows of the
select as one JSON array (``json_agg`` on PostgreSQL, ``json_group_array`` on SQLite),
read back as ``Row`` objects whose columns have their Python types again (aware UTC
datetimes, dates, booleans, numbers), the same on both backends."""

import json
from datetime import date, datetime, timezone
from collections import OrderedDict
from types import SimpleNamespace
from typing import Any, Callable

from sqlalchemy import JSON, Boolean, Date, DateTime, func, literal, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Text, TypeDecorator


class Row(SimpleNamespace):
    """One row of ``json_rows``: its columns as attributes (``as_dict()`` for all of them)."""

    def as_dict(self) -> dict:
        return dict(vars(self))


def _converter(sqltype, dialect) -> Callable[[Any], Any] | None:
    impl = getattr(sqltype, "impl", sqltype)
    if isinstance(impl, JSON) or isinstance(sqltype, JSON):
        if dialect.name == "postgresql":  # json_agg nests it; json_object quotes it as text
            return None
        return lambda value: json.loads(value) if isinstance(value, str) else value
    if isinstance(impl, DateTime) or isinstance(sqltype, DateTime):
        def to_datetime(value):
            if not isinstance(value, str):
                return value
            parsed = datetime.fromisoformat(value)
            return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
        return to_datetime
    if isinstance(impl, Date) or isinstance(sqltype, Date):
        return lambda value: date.fromisoformat(value[:10]) if isinstance(value, str) else value
    if isinstance(impl, Boolean) or isinstance(sqltype, Boolean):
        return lambda value: None if value is None else bool(value)
    return None


class RowsJSON(TypeDecorator):
    """The result type of ``json_rows``: a JSON array read back as a list of ``Row``."""

    impl = Text
    cache_ok = True  # its cache key: the names (the statement's key holds the select, hence the types)

    def __init__(self, columns: list[tuple[str, Any]]):
        super().__init__()
        self.columns, self._columns = tuple(name for name, _type in columns), columns

    def process_result_value(self, value, dialect):
        if value is None:
            return []
        rows = json.loads(value) if isinstance(value, (str, bytes)) else value
        converters = [(name, _converter(sqltype, dialect)) for name, sqltype in self._columns]
        out = []
        for raw in rows:
            values = {}
            for name, convert in converters:
                item = raw.get(name)
                values[name] = convert(item) if convert is not None and item is not None else item
            out.append(Row(**values))
        return out


class json_rows(ColumnElement):
    """The rows of ``stmt`` as one scalar value (a JSON array, in the statement's order).

    Give every column a plain name (``.label("name")``); geometry and binary columns do
    not belong here. The rows come back as ``Row`` objects (see the module's doc)."""

    inherit_cache = True  # compiled once, keyed by its select (compiling cost more than running)
    _traverse_internals = [("subquery", InternalTraversal.dp_clauseelement)]

    def __init__(self, stmt):
        self.subquery = stmt.subquery()
        self.names = [c.key for c in self.subquery.c]
        self.type = RowsJSON([(c.key, c.type) for c in self.subquery.c])


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    sub = element.subquery
    expr = select(func.coalesce(func.json_agg(sub.table_valued()), text("'[]'::json"))).select_from(sub)
    return compiler.process(expr.scalar_subquery(), **kw)


@compiles(json_rows)
def _json_rows_default(element, compiler, **kw):  # SQLite (json1 is built in)
    sub = element.subquery
    pairs = [part for name in element.names for part in (literal(name), sub.c[name])]
    expr = select(func.coalesce(func.json_group_array(func.json_object(*pairs)), literal("[]"))).select_from(sub)
    return compiler.process(expr.scalar_subquery(), **kw)


class Deferred:
    """A value that ``PageReads`` computes with the page's other reads."""

    __slots__ = ("_reads", "_value", "_done")

    def __init__(self, reads: "PageReads"):
        self._reads, self._value, self._done = reads, None, False

    @property
    def value(self):
        if not self._done:
            self._reads.run()
        return self._value


# What a page reads on every request is built once per process, with bind parameters (``add``'s, ``ReadThen``'s):
# building it, and a new statement's cache key, cost more CPU than running it (issue 16).
VIEWER = "page_viewer_id"  # ``bindparam(VIEWER)``: the signed-in user's id, which PageReads binds (None signed out)


_seen_once, _built = OrderedDict(), {}


def batch_statement(expressions: tuple):
    """Kept once the same expression objects come twice (built once per process); those built for one request stay
    among 16 seen once: each is ~1,450 objects that every full collection walks (128 made it 110-200 ms, issue 16)."""
    if (statement := _built.get(expressions)) is None:
        if (statement := _seen_once.pop(expressions, None)) is None or len(_built) >= 128:
            statement = _seen_once[expressions] = select(*(e.label(f"v{n}") for n, e in enumerate(expressions)))
            while len(_seen_once) > 16:
                _seen_once.popitem(last=False)
        else:
            _built[expressions] = statement
    return statement


class PageReads:
    """The scalar expressions a page collected, run together in one statement."""

    def __init__(self, dbsession, viewer: Callable[[], int | None] = lambda: None):
        self.dbsession, self.viewer = dbsession, viewer
        self.pending: list[tuple[ColumnElement, Deferred]] = []
        self.statements, self.params = 0, {}

    def add(self, expression, **params) -> Deferred:
        deferred = Deferred(self)
        self.pending.append((expression, deferred))
        self.params.update(params)
        return deferred

    def read(self, expression):
        """The value of ``expression`` now, with whatever else is pending."""
        return self.add(expression).value

    def run(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        statement = batch_statement(tuple(e for e, _d in pending))
        row = self.dbsession.execute(statement, {VIEWER: self.viewer(), **self.params}).one()
        self.statements += 1
        for (_expr, deferred), value in zip(pending, row):
            deferred._value, deferred._done = value, True


class LazyHTML:
    """HTML rendered when the page template shows it (after the page's reads ran)."""

    __slots__ = ("_render", "_html")

    def __init__(self, render: Callable[[], str]):
        self._render, self._html = render, None

    def __html__(self) -> str:
        if self._html is None:
            self._html = self._render()
        return self._html

    __str__ = __html__

    def __bool__(self) -> bool:
        return True


def resolve_panels(request, panels):
    """``Panel``s whose content waits for the page's reads: each ``read`` (a SQL scalar
    expression, often ``json_rows``) joins ``request.page_reads``, and its ``render``
    gets the value when the template shows the panel."""
    from dataclasses import replace

    out = []
    for panel in panels:
        if getattr(panel, "read", None) is not None and panel.render is not None:
            deferred = request.page_reads.add(panel.read)
            out.append(replace(panel, html=LazyHTML(lambda d=deferred, r=panel.render: r(d.value)),
                               read=None, render=None))
        else:
            out.append(panel)
    return out


class ReadThen:
    """A SQL scalar expression to read with the others (its bind parameters' values), and what to make of its value."""

    __slots__ = ("read", "then", "params")

    def __init__(self, read, then: Callable[[Any], Any], **params):
        self.read, self.then, self.params = read, then, params


def read_later(request, answers) -> Callable[[], list]:
    """The items of a hook's ``answers`` (lists, or ``ReadThen`` read with the page's other reads), when called."""
    reads = [(a, request.page_reads.add(a.read, **a.params)) for a in answers if isinstance(a, ReadThen)]
    return lambda: ([item for a in answers if a and not isinstance(a, ReadThen) for item in a]
                    + [item for a, read in reads for item in a.then(read.value) or []])


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.as_dict() if isinstance(value, Row) else value


def resolve_values(request, data):
    """``data`` (dicts and lists, as a plugin's GDPR export) with every SQL expression in it
    replaced by its value (``json_rows`` as a list of dicts; a ``ReadThen`` by what its
    ``then`` makes of it), all of them read in one statement."""
    from sqlalchemy.sql.elements import ClauseElement

    found: list[tuple[Any, Any, Deferred, Callable]] = []
    reads = request.__dict__.get("page_reads") or getattr(request, "page_reads", None) or PageReads(request.dbsession)

    def walk(node):
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, ClauseElement):
                found.append((node, key, reads.add(value), _plain))
            elif isinstance(value, ReadThen):
                found.append((node, key, reads.add(value.read, **value.params), value.then))
            else:
                walk(value)

    walk(data)
    for node, key, deferred, then in found:
        node[key] = then(deferred.value)
    return data


def includeme(config):
    config.add_request_method(lambda r: PageReads(r.dbsession, lambda: getattr(r.user, "id", None)), "page_reads",
                              reify=True)
