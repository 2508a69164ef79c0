"""Writing many records at once: the states save_record writes, batched for imports."""

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import itemgetter

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm.exc import StaleDataError

from registry.errors import ApiError
from registry.extensions import db
from registry.records.declaration import Resource
from registry.records.driver import DRIVERS, driver_error
from registry.records.lifecycle import hold_feed_lock
from registry.records.model import RecordEvent

BATCH = 1000
SQLITE_ROWS = 500  # rows an INSERT statement carries on SQLite


@dataclass
class Change:
    """One record's new state, planned by an import and checked like a single write."""

    action: str  # created or updated
    body: dict
    state: dict  # registry.records.lifecycle.record_state(...)
    seen_version: int | None = None  # the version the row was compared with (updates)


class IdList:
    """Record ids, 16 bytes each: an import of a million rows remembers them all to the end."""

    def __init__(self) -> None:
        self.data = bytearray()

    def append(self, record_id: str) -> None:
        raw = bytes.fromhex(record_id.replace("-", ""))  # uuid.UUID(...).bytes, 4 times faster
        if len(raw) != 16:
            raise ValueError(f"Not a record id: {record_id!r}")
        self.data += raw

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.data), 16):
            yield str(uuid.UUID(bytes=bytes(self.data[start : start + 16])))


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _changed_meanwhile() -> ApiError:
    return ApiError(409, "Records changed while the import ran; send the import again.")


def among(column: ColumnElement, values: list[str]) -> ColumnElement:
    """`column IN (values)`; on PostgreSQL the values come as one JSON text: its driver parses
    a query of over 50 parameters again every time (a batch has a thousand), and writes a
    Python list as an array item by item."""
    if db.session.get_bind().dialect.name == "postgresql":
        listed = cast(bindparam(None, orjson.dumps(values).decode(), type_=Text), JSON)
        return column.in_(select(func.json_array_elements_text(listed)))
    return column.in_(values)


def _sqlite_inserts(driver_connection, table: Table, names: list[str], values: Iterable[list]):
    """(INSERT of many rows in one VALUES list, their values in one list), as many as needed.

    One statement, not an executemany, inserts the rows in one step of SQLite's, which lets
    go of the GIL for it: a row a step would wait for the GIL again after every row while
    the import's other thread runs Python.
    """
    limit = driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = max(1, min(SQLITE_ROWS, limit // len(names)))
    marks = f"({', '.join('?' * len(names))})"
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    for batch in batches(values, size):
        yield head + ", ".join([marks] * len(batch)), [v for row in batch for v in row]


def _bind_values(
    dialect: Dialect, table: Table, names: list[str], rows: list[dict]
) -> Iterator[list]:
    """Each row's values in the order of `names`, as SQLAlchemy would bind them.

    Only the columns whose type has a bind processor are processed, and a date or time that
    one row shares with the row before is processed once: an import stamps every record
    with one moment.
    """
    processors = []
    for at, name in enumerate(names):
        kind = table.c[name].type
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            remember = isinstance(kind, Date | DateTime)  # immutable values, compared by identity
            processors.append((at, _remembering(process) if remember else process))
    read = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    for row in rows:
        values = list(read(row))
        for at, process in processors:
            values[at] = process(values[at])
        yield values


def _remembering(process: Callable) -> Callable:
    last, result = object(), None

    def remembered(value):
        nonlocal last, result
        if value is not last:
            last, result = value, process(value)
        return result

    return remembered


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT many rows alike through the driver, with the values SQLAlchemy would bind.

    SQLAlchemy's executemany costs more than SQLite's insert itself, and PostgreSQL reads
    COPY far faster than lists of VALUES.
    """
    dialect = connection.dialect
    if dialect.driver not in DRIVERS:
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    values = _bind_values(dialect, table, names, rows)
    driver_connection = connection.connection.driver_connection
    cursor = driver_connection.cursor()
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"  # SQLite's: see below
    try:
        if dialect.driver == "pysqlite":
            for statement, flat in _sqlite_inserts(driver_connection, table, names, values):
                cursor.execute(statement, flat)
        else:
            with cursor.copy(statement) as copy:
                for row in values:
                    copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise driver_error(connection, statement, error, cursor) from None
    finally:
        cursor.close()


def _update(resource: Resource, updates: list[Change]) -> None:
    model = resource.model
    ids = [change.state["id"] for change in updates]
    records = {
        record.id: record
        for record in db.session.scalars(
            select(model).where(among(model.id, ids)).execution_options(populate_existing=True)
        )
    }
    for change in updates:
        record = records.get(change.state["id"])
        if record is None or record.version != change.seen_version:
            raise _changed_meanwhile()
        for column, value in change.state.items():
            setattr(record, column, value)
    try:
        db.session.flush()
    except StaleDataError:
        raise _changed_meanwhile() from None
    for record in records.values():
        db.session.expunge(record)


class ChunkWriter:
    """Writes an import's planned chunks in order, children too (events come at the end).

    A chunk's updates go in at once, through the ORM, as save_record writes them: the version
    check and mapper events (a supplier's country copied onto its reagents) work the same for
    imported changes. Its new records are plain INSERTs (mapper insert events do not run for
    them) on a second thread, with the children of all its records and their search indexes
    (`catch_up`, see sqlite_bulk.indexed_in_bulk): the database does that work without the
    GIL (PostgreSQL in its own process, SQLite in a statement of many rows), and meanwhile
    this thread plans the next chunk and reads the one after.

    Nothing else uses the connection while the thread writes: `wait()` comes first, and a
    statement that this thread runs through the connection meanwhile (a rule's read) waits.
    """

    def __init__(self, resource: Resource, catch_up: Callable[[Connection], None]) -> None:
        self.resource = resource
        self.catch_up = catch_up
        self.connection = db.session.connection()
        self.owner = threading.get_ident()
        self.thread = ThreadPoolExecutor(max_workers=1)
        self.inserting: Future | None = None

    def __enter__(self) -> "ChunkWriter":
        event.listen(self.connection, "before_execute", self._settle)
        return self

    def __exit__(self, kind, *_) -> None:
        self.thread.shutdown()  # after a failure of the import's own, that one is raised
        event.remove(self.connection, "before_execute", self._settle)
        if kind is None:
            self.wait()

    def _settle(self, *_) -> None:
        """Before a statement of the import's own thread: wait() for the writing thread (and
        raise its error: after a failed statement PostgreSQL refuses any other)."""
        if threading.get_ident() == self.owner:
            self.wait()

    def busy(self) -> bool:
        return self.inserting is not None and not self.inserting.done()

    def wait(self) -> None:
        """Return once the previous chunk is in; raise its error if it had one."""
        inserting, self.inserting = self.inserting, None
        if inserting is not None:
            inserting.result()

    def update(self, changes: list[Change]) -> None:
        """Write the chunk's updates and delete the children they replace, now (once the
        chunk before is in): the lookups of the next chunk see them."""
        self.wait()
        updates = [change for change in changes if change.action == "updated"]
        if not updates:
            return
        _update(self.resource, updates)
        replaced = [change.state["id"] for change in updates]
        for children in self.resource.children:
            parent = getattr(children.model, children.parent_column)
            db.session.execute(delete(children.model).where(among(parent, replaced)))

    def insert(self, changes: list[Change]) -> None:
        """Start writing the chunk's new records, and its records' children, on the thread."""
        self.wait()
        if not changes:
            return
        created = [change.state for change in changes if change.action == "created"]
        inserts = [(self.resource.model.__table__, created)]
        for children in self.resource.children:
            rows = [
                {children.parent_column: change.state["id"], **row}
                for change in changes
                for row in children.rows(change.body)
            ]
            inserts.append((children.model.__table__, rows))
        self.inserting = self.thread.submit(self._insert, inserts)

    def _insert(self, inserts: list[tuple[Table, list[dict]]]) -> None:
        for table, rows in inserts:
            if rows:
                insert_rows(self.connection, table, rows)
        self.catch_up(self.connection)


def write_events(
    resource: Resource,
    changed: dict[str, Iterable[str]],
    actor: str,
    at: datetime,
    *,
    created_after: int | None = None,
):
    """History, audit and feed entries of the records an import wrote, read back from them.

    Written last, so that on PostgreSQL the feed lock is held only from here to the commit.
    On SQLite, `created_after` is the table's last_rowid() before the import, read in its
    transaction: that began with BEGIN IMMEDIATE (registry.database), so no one else has
    written since, and the records the import created are every one after it. Read so in
    one pass, not by id (100,000 listings: 0.6 s, not 1.1).
    """
    table = resource.model.__table__
    columns = ["resource", "record_id", "version", "action", "actor", "at", "snapshot"]

    def entries(action: str, where: ColumnElement) -> None:
        hold_feed_lock()
        rows = select(
            literal(resource.name, String),
            table.c.id,
            table.c.version,
            literal(action, String),
            literal(actor, String),
            literal(at, DateTime),
            table.c.doc,
        ).where(where)
        db.session.execute(insert(RecordEvent.__table__).from_select(columns, rows))

    for action, ids in changed.items():
        if action == "created" and created_after is not None:
            entries(action, literal_column(f"{table.name}.rowid") > created_after)
            continue
        for batch in batches(ids):
            entries(action, table.c.id.in_(batch))
