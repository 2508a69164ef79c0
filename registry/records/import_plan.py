"""Which record each imported row stands for, and what it changes: planned a chunk at a time."""

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import orjson
from marshmallow import ValidationError
from sqlalchemy import Column, Table, literal_column, text
from sqlalchemy.engine import Dialect

from registry.errors import ApiError, flatten_messages
from registry.extensions import db
from registry.records.body import normalise
from registry.records.bulk import Change, IdList, batches
from registry.records.csv_rows import Row
from registry.records.declaration import Resource
from registry.records.driver import driver_rows, result_readers
from registry.records.lifecycle import (
    body_of,
    known_body,
    load_body,
    record_state,
    search_columns,
    stored_body_is,
)
from registry.records.listing import stored_text
from registry.records.model import new_id, utcnow

MAX_ERRORS = 100_000  # a body of nothing but bad rows must not exhaust memory
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACTIONS = ("created", "updated", "unchanged")
KEY_BATCH = 500


# What an import reads of a stored record: every column but the search key, and the stored
# JSON as `stored_text` (parsed with orjson, not by the JSON type's json.loads).
UNREAD = frozenset({"doc", "search_text"})


def read_columns(records: Table) -> list[Column]:
    return [column for column in records.c if column.name not in UNREAD]


@dataclass(frozen=True)
class KeyQuery:
    """A lookup of records by natural key, compiled once, run through the driver."""

    sql: str
    reader: "Reader"

    def rows(self, params: dict | list) -> list[tuple]:
        rows, described = driver_rows(db.session.connection(), self.sql, params)
        self.reader.learn(described)
        return rows


@lru_cache(maxsize=32)
def key_query(
    keys: Table,
    owner: str,
    names: tuple[str, ...],
    records: Table,
    size: int | None,
    dialect: Dialect,
) -> KeyQuery:
    """The records that hold `size` natural keys, read whole: a VALUES list joined to the
    keys' table, and to the records' table when the keys are kept apart from it.

    Not `(a, b) IN (…)`, which SQLite answers by scanning the whole table; and written as text
    once per size, because compiling a VALUES construct of a thousand parameters costs more
    than the query itself. With `size` None the keys come as one JSON array per column, for
    PostgreSQL: its driver parses a query of over 50 parameters again every time, and writes
    a Python list as an array item by item. The record's doc is read as `stored_text`.

    One query, not a lookup and then a fetch by id: the key's index does not hold the id, so
    the lookup reads the record's row anyway. Its rows come from the driver as they are, and
    a StoredRecord converts only the values it is asked for: SQLAlchemy's rows and their type
    processing cost as much as SQLite's own work (and most rows are only compared as text).
    """
    width = range(len(names))
    if size is None:
        arrays = (f"json_array_elements_text(CAST(:k{i} AS json))" for i in width)
        wanted = f"SELECT * FROM ROWS FROM ({', '.join(arrays)})"
    else:
        rows = (", ".join(f":k{i}_{n}" for i in width) for n in range(size))
        wanted = "VALUES " + ", ".join(f"({row})" for row in rows)
    match = " AND ".join(f"t.{name} = wanted.k{i}" for i, name in enumerate(names))
    joined = "" if keys is records else f" JOIN {records.name} r ON r.id = t.{owner}"
    record = "t" if keys is records else "r"
    kept = read_columns(records)
    doc = stored_text(literal_column(f"{record}.doc")).compile(dialect=dialect)
    compiled = text(
        f"WITH wanted({', '.join(f'k{i}' for i in width)}) AS ({wanted}) "
        f"SELECT {', '.join(f'wanted.k{i}' for i in width)}, "
        f"{', '.join(f'{record}.{column.name}' for column in kept)}, {doc} AS doc "
        f"FROM wanted JOIN {keys.name} t ON {match}{joined}"
    ).compile(dialect=dialect)
    return KeyQuery(compiled.string, Reader(kept, dialect, first=len(names)))


class Reader:
    """Where each column of a record sits in a driver's row, and how its value is converted
    (as SQLAlchemy would, given the types the driver describes)."""

    def __init__(self, kept: list[Column], dialect: Dialect, first: int) -> None:
        self.kept = kept
        self.dialect = dialect
        self.first = first
        self.id_at = first + [column.name for column in kept].index("id")
        self.doc_at = first + len(kept)
        self.at: dict[str, tuple] | None = None

    def learn(self, described) -> None:
        """Take the converters from the first cursor's description of the query's columns."""
        if self.at is not None or described is None:
            return
        kinds = [column.type for column in self.kept]
        readers = result_readers(kinds, self.dialect, described[self.first : self.doc_at])
        self.at = {
            column.name: (n, read)
            for n, (column, read) in enumerate(zip(self.kept, readers, strict=True), self.first)
        }


class StoredRecord:
    """A record as an import compares with it and passes to the rules: the row's columns,
    converted when read, and its doc, parsed only when a row does not repeat it as stored."""

    __slots__ = ("parsed", "reader", "row")

    def __init__(self, row: tuple, reader: Reader) -> None:
        self.row = row  # a driver's tuple, as `reader` reads it
        self.reader = reader
        self.parsed = None

    def __getattr__(self, name: str):
        try:
            at, convert = self.reader.at[name]
        except KeyError:
            raise AttributeError(name) from None
        value = self.row[at]
        return value if convert is None or value is None else convert(value)

    @property
    def doc(self) -> dict:
        if self.parsed is None:
            self.parsed = orjson.loads(self.stored)
        return self.parsed

    @property
    def stored(self) -> bytes | str:
        """The doc's JSON text as the database keeps it."""
        return self.row[self.reader.doc_at]

    def holds(self, resource: Resource, body: dict) -> bool:
        """Whether `body` is the record's body as stored (for the most part without parsing)."""
        return stored_body_is(self.stored, self.id, body) or same(body, body_of(resource, self.doc))


def _pruned(value):
    """A body without empty lists and objects: a CSV cell cannot tell them from absent."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v not in ([], {}, None)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def same(body: dict, stored: dict) -> bool:
    return body == stored or _pruned(body) == _pruned(stored)


def entries(error: Exception) -> list[dict]:
    """A validation error or a rule's ApiError as [{"field", "message"}]."""
    if isinstance(error, ValidationError):
        found = flatten_messages(error.messages)
    else:
        found = error.errors or [{"field": "", "message": error.detail}]
    return [{"field": e["field"], "message": e["message"]} for e in found]


@dataclass(frozen=True)
class Matched:
    """A chunk's validated rows (row, body, natural keys) and the stored records they name."""

    rows: list[tuple[Row, dict, set]]
    stored: dict  # record id -> StoredRecord
    owners: dict  # natural key -> id of the stored record holding it


class ImportPlan:
    """Matches rows to records by id, else natural key, else new; validates; plans writes.

    A row that repeats a stored record exactly is `unchanged` without running the schema
    (the stored state passed it already); every other row is validated and checked by the
    resource's rules like a single POST or PATCH. Lookups are batched a chunk at a time.
    """

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.natural_key = resource.natural_key
        self.schema = resource.schema
        self.now = utcnow()
        # Kept for the whole import, so kept small: stored record id -> the row standing for
        # it (a record it creates too), and natural key -> id of the record that this import
        # gives it to.
        self.claimed: dict[str, int] = {}
        self.owners: dict[tuple, str] = {}
        self.errors: list[dict] = []
        self.failed_rows = 0
        self.counts = dict.fromkeys(ACTIONS, 0)
        self.changed = {"created": IdList(), "updated": IdList()}  # for the feed, at the end
        self.ahead: dict[int, dict | Exception] = {}  # row number -> validated early
        self.search_ahead: dict[int, dict] = {}  # row number -> its search_columns(), early

    def fail(self, number: int, found: Iterable[dict]) -> None:
        self.failed_rows += 1
        for entry in found:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append({"row": number, **entry})

    def problem(self) -> ApiError:
        rows = self.failed_rows
        listed = "" if len(self.errors) < MAX_ERRORS else f"; the first {MAX_ERRORS} errors listed"
        return ApiError(
            422,
            f"{rows} row{'s' if rows != 1 else ''} failed validation; nothing was written{listed}.",
            errors=self.errors,
        )

    def keys(self, body: dict) -> set[tuple]:
        try:
            keys = set(self.natural_key.keys(body))
        except (KeyError, TypeError, AttributeError):
            return set()  # an unvalidated body without its key fields: matched by its id only
        return {k for k in keys if all(isinstance(part, str) for part in k)}

    def lookup(self, keys: set[tuple], owners: dict, asked: set, stored: dict, skip=()) -> None:
        """Existing records' natural keys -> their ids, a batch of keys a query; the records
        themselves go to `stored`, but for those in `skip`."""
        columns = [column.expression for column in self.natural_key.columns]
        table, owner = columns[0].table, self.natural_key.owner.expression.name
        names = tuple(column.name for column in columns)
        width = len(names)
        for batch in batches(keys - asked, KEY_BATCH):
            asked.update(batch)
            for row, reader in self._read(table, owner, names, batch):
                record_id = row[reader.id_at]
                owners[row[:width]] = record_id
                if record_id not in stored and record_id not in skip:
                    stored[record_id] = StoredRecord(row, reader)

    def fetch(self, ids: set[str], stored: dict) -> None:
        """The records these ids name, into `stored`: a lookup by the `id` key."""
        records = self.resource.model.__table__
        for batch in batches(ids - stored.keys(), KEY_BATCH):
            for row, reader in self._read(records, "id", ("id",), [(i,) for i in batch]):
                stored[row[reader.id_at]] = StoredRecord(row, reader)

    def _read(self, table: Table, owner: str, names: tuple[str, ...], batch: list[tuple]):
        """(row, its reader) for each record holding one of a batch of keys, in one query."""
        records = self.resource.model.__table__
        dialect = db.session.get_bind().dialect
        width = range(len(names))
        if dialect.name == "postgresql":
            query = key_query(table, owner, names, records, None, dialect)
            params = {f"k{i}": orjson.dumps([key[i] for key in batch]).decode() for i in width}
        else:
            query = key_query(table, owner, names, records, len(batch), dialect)
            params = [v for key in batch for v in key]  # SQLite's `?`s, in the text's order
        for row in query.rows(params):  # one fetchall, not 500 fetchone
            yield row, query.reader

    def claim(self, row: Row, record_id: str, field: str) -> bool:
        """Note the stored record a row stands for; a second row for it is an error."""
        if record_id in self.claimed:
            message = f"Row {self.claimed[record_id]} already stands for this record."
            self.fail(row.number, [{"field": field, "message": message}])
            return False
        self.claimed[record_id] = row.number
        return True

    def readable(self, rows: list[Row]) -> list[tuple[Row, dict]]:
        """The chunk's rows with their bodies normalised; rows that cannot be read are errors."""
        return [item for item in map(self._readable, rows) if item is not None]

    def validate_ahead(self, items: list[tuple[Row, dict]], meanwhile: Callable[[], bool]) -> None:
        """Validate rows, as long as `meanwhile()`, before knowing which rows need it.

        While the database writes the previous chunk this thread would only wait; the schema's
        answer does not depend on the database, and match() keeps it for the rows that need it.
        So are the search columns of a valid body (no rule changes a body).
        """
        for row, raw in items:
            if not meanwhile():
                return
            checked = self.ahead[row.number] = self._checked(raw)
            if not isinstance(checked, Exception):
                self.search_ahead[row.number] = search_columns(self.resource, checked)

    def match(self, items: list[tuple[Row, dict]]) -> Matched:
        """The records a chunk's rows stand for, read from the database; each row validated
        unless unchanged (rows in error go to self.errors). All of a chunk's reads but the
        rules' own: decide() then needs none while the rows of the chunk before are written.

        A record that an earlier row stands for is not taken as a row's candidate (its rows
        may not yet be written: see _match()); records an earlier chunk created are known by
        self.owners, and the updates of earlier chunks are written before this reads.
        """
        stored: dict = {}
        owners: dict = {}
        asked: set = set()
        raw_keys = {row.number: self.keys(raw) for row, raw in items if row.record_id is None}
        self.lookup(set().union(*raw_keys.values()), owners, asked, stored, skip=self.claimed)
        self.fetch({row.record_id for row, _ in items if row.record_id}, stored)
        checked = []
        for row, raw in items:
            body = self._validated(row, raw, raw_keys.get(row.number), stored, owners)
            if body is not None:
                checked.append((row, body, self.keys(body)))
        self.ahead.clear()
        if self.resource.preload:
            self.resource.preload([body for _, body, _ in checked])
        validated_keys = set().union(*(keys for _, _, keys in checked))
        self.lookup(validated_keys, owners, asked, stored, skip=self.claimed)
        return Matched(checked, stored, owners)

    def decide(self, matched: Matched) -> list[Change]:
        """The changes a matched chunk makes: each row matched, its rules run, its write
        planned; rows in error go to self.errors."""
        stored, owners = matched.stored, matched.owners
        changes = (
            self._decide(row, body, keys, stored, owners) for row, body, keys in matched.rows
        )
        planned = [change for change in changes if change is not None]
        self.search_ahead.clear()
        return planned

    def _readable(self, row: Row) -> tuple[Row, dict] | None:
        """The row's body normalised, or None with every error the row has noted."""
        problems = list(row.errors)
        if row.body is None:
            self.fail(row.number, problems)
            return None
        if row.record_id is not None:
            row.record_id = row.record_id.lower()
            if not UUID.fullmatch(row.record_id):
                problems.append({"field": "id", "message": "Not a record id (a UUID)."})
        try:
            raw = row.body if row.normalised else normalise(known_body(self.resource, row.body))
        except ApiError as error:
            self.fail(row.number, problems + entries(error))
            return None
        if problems:
            try:
                load_body(self.resource, raw)
            except (ValidationError, ApiError) as error:
                named = {p["field"] for p in problems}
                problems += [e for e in entries(error) if e["field"] not in named]
            self.fail(row.number, problems)
            return None
        return row, raw

    def _validated(self, row: Row, raw: dict, raw_keys, stored: dict, owners: dict):
        """The validated body, or None when the row is unchanged or in error."""
        if row.record_id is not None:
            candidate = stored.get(row.record_id)
            if candidate is None:
                self.fail(row.number, [{"field": "id", "message": "No record with this id."}])
                return None
        else:
            holders = {owners.get(key) for key in raw_keys}
            candidate = stored.get(holders.pop()) if len(holders) == 1 else None
        if candidate is not None and candidate.holds(self.resource, raw):
            field = "id" if row.record_id else self.natural_key.field
            if self.claim(row, candidate.id, field):
                self.counts["unchanged"] += 1
            return None
        checked = self.ahead.pop(row.number) if row.number in self.ahead else self._checked(raw)
        if isinstance(checked, Exception):
            self.fail(row.number, entries(checked))
            return None
        return checked

    def _checked(self, raw: dict) -> dict | Exception:
        """load_body() without its normalise() (`raw` went through that already), or its error."""
        try:
            return self.schema.load(raw)
        except (ValidationError, ApiError) as error:
            return error

    def _match(self, row: Row, keys: set, stored: dict, owners: dict):
        """(the stored record or None for a new one, its id), or None after a row error."""
        field = self.natural_key.field
        holders = {self.owners.get(key) or owners.get(key) for key in keys} - {None}
        if row.record_id is not None:
            record = stored[row.record_id]
            others = sorted(holders - {record.id})
            if others:
                self.fail(row.number, [{"field": field, "message": f"Used by record {others[0]}."}])
                return None
            return (record, record.id) if self.claim(row, record.id, "id") else None
        if len(holders) > 1:
            message = f"Names different records: {', '.join(sorted(holders))}."
            self.fail(row.number, [{"field": field, "message": message}])
            return None
        if not holders:
            record_id = new_id()
            self.claimed[record_id] = row.number  # a later chunk's row for it is an error
            return None, record_id
        holder = holders.pop()
        # A holder that match() did not read is one an earlier row claimed: claim() says so.
        return (stored[holder], holder) if self.claim(row, holder, field) else None

    def _decide(self, row: Row, body: dict, keys: set, stored: dict, owners: dict):
        """Match one validated row, run the rules, and plan its write (None: no write)."""
        matched = self._match(row, keys, stored, owners)
        if matched is None:
            return None
        record, record_id = matched
        try:
            if self.resource.rules:
                self.resource.rules(body, record)
            if record is not None and record.holds(self.resource, body):
                self.counts["unchanged"] += 1
                return None
            state = record_state(
                self.resource,
                body,
                record_id=record_id,
                version=record.version + 1 if record is not None else 1,
                created_at=record.created_at if record is not None else self.now,
                now=self.now,
                search=self.search_ahead.pop(row.number, None),
            )
        except (ValidationError, ApiError) as error:
            self.fail(row.number, entries(error))
            return None
        for key in keys:
            self.owners[tuple(map(sys.intern, key))] = record_id  # supplier ids repeat
        action = "updated" if record is not None else "created"
        self.counts[action] += 1
        self.changed[action].append(record_id)
        return Change(action, body, state, record.version if record is not None else None)
