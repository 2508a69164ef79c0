"""Writing many records at once: the states save_record writes, batched for imports."""

import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import DateTime, String, delete, insert, literal, select, text
from sqlalchemy.orm.exc import StaleDataError

from registry.errors import ApiError
from registry.extensions import db
from registry.records.declaration import Resource
from registry.records.lifecycle import hold_feed_lock
from registry.records.model import RecordEvent

BATCH = 1000


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
        self.data += uuid.UUID(record_id).bytes

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.data), 16):
            yield str(uuid.UUID(bytes=bytes(self.data[start : start + 16])))


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _changed_meanwhile() -> ApiError:
    return ApiError(409, "Records changed while the import ran; send the import again.")


def _update(resource: Resource, updates: list[Change]) -> None:
    # Through the ORM, as save_record does: the version check and mapper events (a supplier's
    # country copied onto its reagents) work the same for imported changes.
    model = resource.model
    ids = [change.state["id"] for change in updates]
    records = {
        record.id: record
        for record in db.session.scalars(
            select(model).where(model.id.in_(ids)).execution_options(populate_existing=True)
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


def _sync_children(resource: Resource, changes: list[Change], replaced: list[str]) -> None:
    for children in resource.children:
        if replaced:
            parent = getattr(children.model, children.parent_column)
            db.session.execute(delete(children.model).where(parent.in_(replaced)))
        rows = [
            {children.parent_column: change.state["id"], **row}
            for change in changes
            for row in children.rows(change.body)
        ]
        if rows:
            db.session.execute(insert(children.model.__table__), rows)


def write_changes(resource: Resource, changes: list[Change]) -> None:
    """Write a batch of planned creates and updates (children too; events come at the end).

    Creates are plain INSERTs: mapper insert events do not run for them.
    """
    creates = [change.state for change in changes if change.action == "created"]
    updates = [change for change in changes if change.action == "updated"]
    if creates:
        db.session.execute(insert(resource.model.__table__), creates)
    if updates:
        _update(resource, updates)
    _sync_children(resource, changes, [change.state["id"] for change in updates])


def write_events(resource: Resource, changed: dict[str, Iterable[str]], actor: str, at: datetime):
    """History, audit and feed entries of the records an import wrote, read back from them.

    Written last, so that on PostgreSQL the feed lock is held only from here to the commit.
    """
    table = resource.model.__table__
    columns = ["resource", "record_id", "version", "action", "actor", "at", "snapshot"]
    for action, ids in changed.items():
        for batch in batches(ids):
            hold_feed_lock()
            rows = select(
                literal(resource.name, String),
                table.c.id,
                table.c.version,
                literal(action, String),
                literal(actor, String),
                literal(at, DateTime),
                table.c.doc,
            ).where(table.c.id.in_(batch))
            db.session.execute(insert(RecordEvent.__table__).from_select(columns, rows))


_COPY = re.compile(r"\s*INSERT INTO (\w+)\s*\(([^)]*)\)\s*VALUES\s*\((.*)\)\s*", re.S | re.I)


def _bulk_copies(table: str, trigger_sql: str) -> list[str] | None:
    """A trigger's `INSERT INTO x(…) VALUES (new.…)` statements as INSERT … SELECT over new rows."""
    body = trigger_sql[trigger_sql.upper().index("BEGIN") + 5 : trigger_sql.upper().rindex("END")]
    copies = []
    for statement in filter(str.strip, body.split(";")):
        match = _COPY.fullmatch(statement)
        if match is None:
            return None
        target, names, values = match.groups()
        values = re.sub(r"\bnew\.", "", values, flags=re.I)
        copies.append(
            f"INSERT INTO {target}({names}) SELECT {values} FROM {table} WHERE rowid > :after"
        )
    return copies


@contextmanager
def indexed_at_the_end(table: str):
    """On SQLite, fill a table's search indexes once for the rows a bulk write inserts.

    Row by row, the AFTER INSERT triggers of migration 0002 cost several times the insert
    itself. Within the write transaction they are dropped, their copies run once over the new
    rows at the end, and they are made again; a rollback brings them back by itself.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    triggers = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    ).all()
    deferred = [
        (name, sql, copies)
        for name, sql in triggers
        if " AFTER INSERT " in sql.upper() and (copies := _bulk_copies(table, sql))
    ]
    after = session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table}")).scalar()
    for name, _, _ in deferred:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql, copies in deferred:
        for copy in copies:
            session.execute(text(copy), {"after": after})
        session.execute(text(sql))
