"""SQLite's side of a bulk write: a roomy page cache, and search indexes filled in bulk."""

import re
from contextlib import contextmanager

from sqlalchemy import Connection, TextClause, text

from registry.extensions import db

BULK_CACHE_KIB = 64 * 1024


def _last_rowid_sql(table: str) -> TextClause:
    return text(f"SELECT coalesce(max(rowid), 0) FROM {table}")


def last_rowid(table: str) -> int | None:
    """On SQLite, the largest rowid of a table (0 when empty); None on PostgreSQL."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return None
    return session.execute(_last_rowid_sql(table)).scalar()


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
def roomy_page_cache():
    """On SQLite, a 64 MB page cache (not 2 MB) for the connection while a bulk write runs.

    A dozen indexes take each new row at a random place (ids, names); with the small cache
    most of those pages are read back from the file again and again. INSERTs of 100,000 bench
    listings into a new table with the reagents' indexes: 76 µs a row with 8 MB, 67 with 32,
    55 with 64 (a worker's peak RSS in the import bench: 255 -> 288 MB), 51 with 96.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))
    try:
        yield
    finally:  # a pragma, not part of the transaction: the pooled connection keeps it
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


@contextmanager
def indexed_in_bulk(table: str):
    """On SQLite, fill a table's search indexes for the rows a bulk write inserts, many rows
    a statement; yields catch_up(connection), which indexes the rows inserted since its last
    call (ChunkWriter calls it after each chunk, on its thread).

    Row by row, the AFTER INSERT triggers of migration 0002 cost several times the insert
    itself. Within the write transaction they are dropped, their copies run over the new rows
    instead, and they are made again at the end; a rollback brings them back by itself.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        yield lambda connection: None
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
    last = _last_rowid_sql(table)
    indexed = session.execute(last).scalar()  # the rowid up to which rows are indexed

    def catch_up(connection: Connection) -> None:
        nonlocal indexed
        newest = connection.execute(last).scalar()
        if newest > indexed:
            for _, _, copies in deferred:
                for copy in copies:
                    connection.execute(text(copy), {"after": indexed})
            indexed = newest

    for name, _, _ in deferred:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    yield catch_up
    catch_up(session.connection())
    for _, sql, _ in deferred:
        session.execute(text(sql))
