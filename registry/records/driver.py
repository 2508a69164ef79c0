"""Queries run through the database driver, where SQLAlchemy's own work costs the most.

On the hot paths (a list's page, the key lookup of every request, an import's lookups)
SQLAlchemy's work per statement and per row cost more than the database's. SQLAlchemy still
writes every statement and decides how each value is bound and read; only its execution
context and its rows are skipped. Errors are raised as SQLAlchemy raises them.
"""

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

DRIVERS = ("pysqlite", "psycopg")  # the drivers whose cursors these queries use directly


def driver_error(connection: Connection, statement: str, error: Exception, cursor) -> DBAPIError:
    """A driver's error as SQLAlchemy raises it: an IntegrityError is a 409, a lost
    connection a 503; after a lost connection the pool's others are not handed out again
    either (as SQLAlchemy does: the database probably restarted)."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.driver_connection, cursor)
    if lost:
        connection.invalidate()
        connection.engine.dispose(close=False)
    return DBAPIError.instance(
        statement, None, error, dialect.loaded_dbapi.Error, connection_invalidated=lost
    )


def driver_rows(connection: Connection, statement: str, params) -> tuple[list[tuple], tuple]:
    """A query's rows as the driver gives them, and its description of their columns (a query
    compiled for the driver, with its params)."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(statement, params)
        return cursor.fetchall(), cursor.description
    except connection.dialect.loaded_dbapi.Error as error:
        raise driver_error(connection, statement, error, cursor) from None
    finally:
        cursor.close()


def result_readers(kinds: list, dialect: Dialect, described) -> list:
    """For columns of these SQLAlchemy types, as the cursor describes them, the converter
    SQLAlchemy would apply to each value (None where it takes the driver's value as it is)."""
    return [
        kind.dialect_impl(dialect).result_processor(dialect, about[1])
        for kind, about in zip(kinds, described, strict=True)
    ]


class DriverSelect:
    """A SELECT compiled once for a dialect, run through the driver: its rows are the driver's
    tuples, and `values` reads rows' values as SQLAlchemy would (for the few a caller needs).

    For a page of fifty records, SQLAlchemy's execution and rows cost more than SQLite's
    query itself (most of a row is stored JSON, passed on as it is). A statement whose SQL
    depends on its values (an expanding IN) is executed by SQLAlchemy as usual, and then
    `compile_kwargs` (how some elements are written: `window_candidates`) go unused.
    """

    def __init__(self, stmt: Select, dialect: Dialect, **compile_kwargs) -> None:
        compiled = stmt.compile(dialect=dialect, compile_kwargs=compile_kwargs)
        self.variants: dict[tuple, DriverSelect] = {}
        self.stmt = stmt
        self.dialect = dialect
        self.direct = (
            dialect.driver in DRIVERS
            and not compiled.post_compile_params
            and not compiled.literal_execute_params
            and not compiled.escaped_bind_names
        )
        self.sql = compiled.string
        binds = {name: param for param, name in compiled.bind_names.items()}
        self.binders = {
            name: processor
            for name, param in binds.items()
            if (processor := param.type.dialect_impl(dialect).bind_processor(dialect))
        }
        # The statement's own values (a literal in its WHERE), bound once here.
        self.defaults = self._bound(
            {name: param.effective_value for name, param in binds.items() if not param.required}
        )
        self.order = compiled.positiontup  # None for drivers that take named parameters
        self.types = [column.type for column in stmt.selected_columns]
        # How values are read, from the first run's cursor; shared with the variants, whose
        # columns are these: rows that a variant made read alike through the statement.
        self.reading: dict[str, list] = {}

    def compiled_with(self, **compile_kwargs) -> "DriverSelect":
        """The same statement compiled with these keyword arguments, made once."""
        key = tuple(sorted(compile_kwargs.items()))
        if key not in self.variants:
            variant = DriverSelect(self.stmt, self.dialect, **compile_kwargs)
            variant.reading = self.reading
            self.variants[key] = variant
        return self.variants[key]

    def _bound(self, params: dict) -> dict:
        binders = self.binders
        return {
            name: value if value is None or name not in binders else binders[name](value)
            for name, value in params.items()
        }

    def rows(self, connection: Connection, params: dict) -> list[tuple]:
        if not self.direct:
            return [tuple(row) for row in connection.execute(self.stmt, params)]
        values = self.defaults | self._bound(params)
        if self.order is not None:
            values = [values[name] for name in self.order]
        rows, described = driver_rows(connection, self.sql, values)
        if "readers" not in self.reading and described is not None:
            self.reading["readers"] = result_readers(self.types, self.dialect, described)
        return rows

    def values(self, rows: list[tuple], start: int = 0, stop: int | None = None) -> list[tuple]:
        """Columns `start` to `stop` of each row as SQLAlchemy would read them."""
        readers = self.reading.get("readers", [])[start:stop] if self.direct else ()
        if not any(readers):
            return [tuple(row[start:stop]) for row in rows]
        return [
            tuple(
                value if read is None or value is None else read(value)
                for read, value in zip(readers, row[start:stop], strict=True)
            )
            for row in rows
        ]
