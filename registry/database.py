"""Engine settings per database: SQLite pragmas and write locks, PostgreSQL timeouts and reads
without a transaction."""

import time

import orjson
from flask import Flask, has_request_context, request
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from registry.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDLE_PING_SECONDS = 1.0  # a pooled PostgreSQL connection idle this long is pinged first


def _json_serializer(value) -> str:
    return orjson.dumps(value).decode()


def engine_options(config: dict) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS for the configured URL."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = {"json_serializer": _json_serializer, "json_deserializer": orjson.loads}
    if url.startswith("postgresql"):
        timeout = config["DB_CONNECT_TIMEOUT"]
        options |= {
            "pool_size": 5,
            "max_overflow": 10,
            "pool_timeout": timeout,
            "connect_args": {
                "connect_timeout": timeout,
                # Dead links are noticed by the kernel instead of hanging a worker for minutes.
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 2,
                "tcp_user_timeout": timeout * 1000 * 3,
                "options": f"-c statement_timeout={max(30, timeout * 15)}s",
            },
        }
    return options


def _reading() -> bool:
    """Whether the work under way answers a read request (which writes nothing)."""
    return has_request_context() and request.method in READ_METHODS


def _sqlite_begin_statement() -> str | None:
    # A write transaction takes SQLite's write lock at BEGIN: two writers queue on the busy
    # timeout instead of the second failing at once when it upgrades a stale read snapshot.
    # A read runs in autocommit, as on PostgreSQL: each statement reads a snapshot of its
    # own, and BEGIN and ROLLBACK are a fifth of a short list's database work.
    return None if _reading() else "BEGIN IMMEDIATE"


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if statement := _sqlite_begin_statement():
            connection.exec_driver_sql(statement)


def configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy):
        # A connection that waited in the pool a while may have been closed meanwhile (a
        # restart, a proxy's idle timeout): ask it first, and a dead one is replaced. Not
        # every checkout (pool_pre_ping): that round trip cost a tenth of a short list on
        # a busy server. A connection lost while in use is a 503, and the pool starts afresh.
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # in autocommit: no transaction left open
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(str(error)) from error

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A read runs in autocommit: under READ COMMITTED each statement takes a snapshot of
        # its own either way, and BEGIN and ROLLBACK cost two round trips a request. Set at
        # every begin (psycopg has no transaction open then), so a write never inherits it.
        connection.connection.driver_connection.autocommit = _reading()


def init_app(app: Flask) -> None:
    """Bind the database and tune its engine."""
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif db.engine.dialect.driver == "psycopg":
            configure_postgresql(db.engine)


def _maintenance(url: str):
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return engine, target.database


def drop_postgres_database(url: str) -> None:
    """Drop the PostgreSQL database that url names, even with sessions still open."""
    engine, name = _maintenance(url)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def recreate_postgres_database(url: str) -> None:
    """An empty database at url, with the UTF-8 character classes pg_trgm needs for search."""
    drop_postgres_database(url)
    engine, name = _maintenance(url)
    with engine.connect() as connection:
        connection.execute(
            text(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                "LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
            )
        )
    engine.dispose()
