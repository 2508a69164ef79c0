"""Lists: query-string validation, filters, search, sorts and keyset paging."""

import base64
import binascii
import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import orjson
from flask import Response, current_app, g, request
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Select, bindparam, select, tuple_
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType

from registry.errors import field_error
from registry.extensions import db
from registry.jsonio import json_response
from registry.records.body import NUL_REFUSED
from registry.records.declaration import Resource
from registry.records.driver import DriverSelect
from registry.search.index import STATS_SECONDS, page_rows
from registry.search.text import like_pattern, query_words

FORMATS = ("json", "csv", "ndjson", "xlsx")
BASE_SORTS = ("updated_at", "created_at", "name")


def next_page_link(cursor: str) -> str:
    """The Link header to the next page: this request's URL with the cursor replaced."""
    query = urlencode({**request.args.to_dict(), "cursor": cursor})
    return f'<{request.script_root}{request.path}?{query}>; rel="next"'


def page_response(found: list, limit: int, cursor_of: Callable, item_of: Callable) -> Response:
    """A list's response from the `limit + 1` rows fetched: items, next_cursor and Link."""
    page = found[:limit]
    cursor = cursor_of(page[-1]) if len(found) > limit else None
    response = json_response({"items": [item_of(row) for row in page], "next_cursor": cursor})
    if cursor:
        response.headers["Link"] = next_page_link(cursor)
    return response


def sort_choices(resource: Resource) -> list[str]:
    keys = [*BASE_SORTS, *resource.sorts]
    return [p + k for k in keys for p in ("", "-")]


def args_schema(resource: Resource, *, extra: dict | None = None) -> Schema:
    """The query-string schema of a resource's list: paging, sort, search, export, filters."""
    spec = {
        "limit": fields.Integer(
            load_default=50, validate=validate.Range(1, 500), metadata={"description": "1–500"}
        ),
        "cursor": fields.String(validate=validate.Length(max=2000)),
        "sort": fields.String(
            load_default="-updated_at", validate=validate.OneOf(sort_choices(resource))
        ),
        "q": fields.String(
            validate=validate.Length(max=500),
            metadata={"description": "Every word must occur in some searchable field."},
        ),
        "format": fields.String(load_default="json", validate=validate.OneOf(FORMATS)),
        "delimiter": fields.String(load_default=",", validate=validate.OneOf([",", ";"])),
        **{name: f.field for name, f in resource.filters.items()},
        **(extra or {}),
    }
    return Schema.from_dict(spec, name=f"{resource.name.title()}ListArgs")(unknown=RAISE)


def parse_args(schema: Schema, args) -> dict:
    """Query-string values, each named in the 422 when it is wrong."""
    raw = {}
    for key in args:
        values = args.getlist(key)
        if len(values) > 1:
            raise field_error(key, "Give this parameter once.")
        if "\x00" in values[0]:
            raise field_error(key, NUL_REFUSED)
        raw[key] = values[0]
    loaded = _loaded(schema, tuple(raw.items()))
    return {k: list(v) if isinstance(v, list) else v for k, v in loaded.items()}


@functools.lru_cache(maxsize=1024)
def _loaded(schema: Schema, raw: tuple[tuple[str, str], ...]) -> dict:
    """A query string's values, read once: loading them costs more than a page's query, and
    the same query strings come again and again (a list's first page, a common search).
    Only a load that succeeds is kept; every query-string schema is a function of its text."""
    return schema.load(dict(raw))


def sort_columns(resource: Resource, sort: str, args: dict) -> tuple[list, bool]:
    key, descending = sort.lstrip("-"), sort.startswith("-")
    model = resource.model
    if key == "name":
        cols = [model.sort_name]
    elif key in ("updated_at", "created_at"):
        cols = [getattr(model, key)]
    else:
        cols = resource.sorts[key](args)
    return [*cols, model.id], descending


class stored_text(FunctionElement):  # noqa: N801 (a SQL function, named as one)
    """A record's stored JSON as the driver hands it over most cheaply, for passing on or
    parsing: UTF-8 bytes from SQLite (CAST AS BLOB: no decoding into str, and none back into
    UTF-8 for the response), text from PostgreSQL (its json keeps the text as written)."""

    type = NullType()
    inherit_cache = True


@compiles(stored_text)
def _stored_text(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(stored_text, "sqlite")
def _stored_text_sqlite(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


def filtered(resource: Resource, args: dict, *, bound: bool = False) -> Select:
    """SELECT of the matching rows' stored JSON (`stored_text`), without order or paging.

    `bound`: a bound filter compares with a bind parameter named as in `bound_values`.
    """
    model = resource.model
    # As stored: a page passes the records on unparsed.
    stmt = select(stored_text(model.doc), model.id)
    for name, flt in resource.filters.items():
        if args.get(name) is not None:
            value = bindparam(f"filter_{name}") if bound and flt.bound else args[name]
            stmt = flt.apply(stmt, value)
    words = query_words(args.get("q") or "")
    if words and resource.search is not None:
        stmt = resource.search(stmt, words)
    else:
        for word in words:
            stmt = stmt.where(model.search_text.like(like_pattern(word), escape="\\"))
    return stmt


# What a cursor does not depend on: the page size and the way the list is written.
_UNBOUND = frozenset({"limit", "cursor", "format", "delimiter", "facets"})


def _query_of(args: dict) -> str:
    """A short digest of the query a cursor belongs to: sort, filters and q."""
    bound = sorted((k, str(v)) for k, v in args.items() if k not in _UNBOUND and v is not None)
    return hashlib.blake2s(orjson.dumps(bound), digest_size=8).hexdigest()


def _encode_cursor(args: dict, values: list) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = orjson.dumps({"q": _query_of(args), "k": plain}, default=str)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, args: dict, cols: list) -> list:
    """The sort key values a cursor holds; a cursor of another query (another sort, filter or
    currency: its keys would page through something else) is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        if not isinstance(data, dict) or data.get("q") != _query_of(args):
            raise ValueError("cursor of another query")
        values = data["k"]
        if not isinstance(values, list) or len(values) != len(cols):
            raise ValueError("cursor of another shape")
        return [_typed(col, value) for col, value in zip(cols, values, strict=True)]
    except (
        ValueError,
        TypeError,
        KeyError,
        binascii.Error,
        InvalidOperation,
        orjson.JSONDecodeError,
    ):
        raise field_error(
            "cursor", "Not a cursor of this list, sort and filters; start again without it."
        ) from None


def _typed(col, value):
    kind = col.type.python_type
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is Decimal:
        return Decimal(str(value))
    if not isinstance(value, kind):
        raise ValueError("wrong type")
    return value


@functools.lru_cache(maxsize=1024)  # computed fields take few distinct values (statuses)
def _computed_tail(names: tuple[str, ...], values: tuple, kind: type[str | bytes]) -> str | bytes:
    """`,"name":value,…}`: how a stored record's JSON ends with computed fields added, as
    `kind` (the type of the stored JSON: see `stored_text`)."""
    tail = b"," + orjson.dumps(dict(zip(names, values, strict=True)))[1:]
    return tail if kind is bytes else tail.decode()


# Page statements by shape and database kind, compiled: building one (and SQLAlchemy's key for
# its compiled form) cost more than running it. A shape is everything but the bound values: a
# handful per resource, and one per search (its words) in use.
_SHAPES: dict[tuple, DriverSelect] = {}
SHAPES_KEPT = 1024


def forget_statements() -> None:
    """Drop every kept page statement (they are made again as they are needed)."""
    _SHAPES.clear()


def _shape(resource: Resource, args: dict, limit: int, after: list | None) -> tuple:
    """What a page's statement depends on besides its bound values.

    A `q` search's SQL follows its words, the caller's role (contacts search what the role
    may see) and the words' statistics, which choose the indexes it reads: such a statement
    is kept per database for one period of the statistics at most. Any of its plans gives
    the same answers, so one kept a little longer than its statistics costs only speed.
    """
    filters = tuple(
        (name, None if flt.bound else args[name])
        for name, flt in resource.filters.items()
        if args.get(name) is not None
    )
    day = resource.etag_suffix() if resource.etag_suffix else None
    shape = (resource.name, args["sort"], filters, limit, after is not None, day)
    if not args.get("q"):
        return shape
    period = int(time.monotonic() // STATS_SECONDS)
    words = tuple(query_words(args["q"]))
    return (*shape, words, g.get("role"), str(db.engine.url), period)


def bound_values(resource: Resource, args: dict) -> dict:
    """The values of a statement that `filtered(..., bound=True)` made."""
    return {
        f"filter_{name}": args[name]
        for name, flt in resource.filters.items()
        if flt.bound and args.get(name) is not None
    }


def _build_page_statement(
    resource: Resource, args: dict, limit: int, after: list | None, *, bound: bool
) -> Select:
    cols, descending = sort_columns(resource, args["sort"], args)
    computed = resource.computed_sql() if resource.computed_sql else {}
    stmt = filtered(resource, args, bound=bound).add_columns(*computed.values(), *cols)
    if after is not None:
        bounds = [bindparam(f"after_{i}", type_=c.type) for i, c in enumerate(cols)]
        key = tuple_(*cols)
        stmt = stmt.where(key < tuple_(*bounds) if descending else key > tuple_(*bounds))
    order = [c.desc() if descending else c.asc() for c in cols]
    return stmt.order_by(*order).limit(limit + 1)


def _page_statement(
    resource: Resource, args: dict, limit: int, after: list | None, dialect: Dialect
) -> tuple[DriverSelect, dict]:
    """A page's SELECT, compiled for this database, and its parameters: made once per shape."""
    params = {f"after_{i}": value for i, value in enumerate(after or [])}
    shape = (*_shape(resource, args, limit, after), dialect.name)
    query = _SHAPES.get(shape)
    if query is None:
        if len(_SHAPES) >= SHAPES_KEPT:
            _SHAPES.clear()
        stmt = _build_page_statement(resource, args, limit, after, bound=True)
        query = _SHAPES[shape] = DriverSelect(stmt, dialect)
    return query, params | bound_values(resource, args)


def _keyset_page(
    resource: Resource, args: dict, limit: int
) -> tuple[tuple[str, ...], list[tuple[str | bytes, tuple]], str | None]:
    """One keyset page: the computed fields' names, (stored JSON, their values) pairs,
    and the next cursor.

    Page 10,000 costs what page 1 costs.
    """
    cols, descending = sort_columns(resource, args["sort"], args)
    after = _decode_cursor(args["cursor"], args, cols) if args.get("cursor") else None
    connection = db.session.connection()
    query, params = _page_statement(resource, args, limit, after, connection.dialect)
    rows = None
    window = query.stmt.get_execution_options().get("search_window")
    if window is not None and args["sort"].lstrip("-") == "updated_at":

        def run(values: dict, drive: bool) -> list:  # see window_candidates
            return (query.compiled_with(drive_window=True) if drive else query).rows(
                connection, values
            )

        since = after[0] if after else None
        rows = page_rows(
            connection, window, run, params, descending=descending, after=since, wanted=limit + 1
        )
    if rows is None:
        rows = query.rows(connection, params)
    computed = resource.computed_sql() if resource.computed_sql else {}
    more = len(rows) > limit
    rows = rows[:limit]
    keys_at = 2 + len(computed)
    cursor = _encode_cursor(args, list(query.values(rows[-1:], keys_at)[0])) if more else None
    computed_values = query.values(rows, 2, keys_at)
    records = [(row[0], values) for row, values in zip(rows, computed_values, strict=True)]
    return tuple(computed), records, cursor


def page(resource: Resource, args: dict, limit: int) -> tuple[list[str | bytes], str | None]:
    """One page of records as JSON (`stored_text`), computed fields included; `present` is
    left to the caller (only a resource that redacts needs it)."""
    names, records, cursor = _keyset_page(resource, args, limit)
    if not names:
        return [text for text, _ in records], cursor
    return [
        text[:-1] + _computed_tail(names, values, type(text)) for text, values in records
    ], cursor


EXPORT_BATCH = 4000  # records an export reads at a time (PostgreSQL's: two at a time, ~30 MB)


def every(resource: Resource, args: dict, role: str) -> Iterator[dict]:
    """Every matching record as `role` sees it, in sort order, in keyset batches (constant
    memory).

    The first batch is read before this returns: a request it cannot answer (a price sort
    without a currency) is a 422 then, not a stream broken after its first bytes.
    """
    args = {**args, "cursor": None}
    return _batches(resource, args, role, _keyset_page(resource, args, EXPORT_BATCH))


def _batches(resource: Resource, args: dict, role: str, first) -> Iterator[dict]:
    for names, records, _ in _pages(resource, args, role, first):
        if resource.lists_stored_json:
            for text, values in records:
                doc = orjson.loads(text)
                doc.update(zip(names, values, strict=True))
                yield doc
        else:
            yield from (resource.view(orjson.loads(text), role) for text, _ in records)


def _pages(resource: Resource, args: dict, role: str, first) -> Iterator[tuple]:
    """`first` and the pages after it, each read in a transaction of its own.

    From a database server, each next page is read by another thread, on a connection of its
    own, while the caller writes out the page before: the server's work and this process's
    overlap. SQLite works in this process, where a second thread would only contend for
    Python's lock.
    """
    app = current_app._get_current_object()
    embedded = db.engine.dialect.name == "sqlite"

    def page_after(cursor: str) -> tuple:
        return _keyset_page(resource, {**args, "cursor": cursor}, EXPORT_BATCH)

    def read_ahead(cursor: str) -> tuple:  # in the other thread: a session of its own
        with app.app_context():
            g.role = role  # a search reads what the role may see
            return page_after(cursor)

    current = first
    with ThreadPoolExecutor(max_workers=1) as ahead:
        while True:
            db.session.rollback()  # let go of the page's snapshot
            cursor = current[2]
            following = ahead.submit(read_ahead, cursor) if cursor and not embedded else None
            yield current
            if cursor is None:
                return
            current = following.result() if following else page_after(cursor)
