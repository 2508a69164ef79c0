"""A lost database: 503 within the connect timeout, /readyz 503, recovery without a restart."""

import sqlite3
import time

import pytest
from sqlalchemy import create_engine, make_url, text

from registry import create_app, database
from registry.config import TestConfig
from registry.extensions import db
from tests.builders import institution
from tests.conftest import POSTGRES_URL
from tests.proxy import SeverableProxy

URL = "/api/v1/institutions"


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.skipif(not POSTGRES_URL, reason="REGISTRY_TEST_POSTGRES_URL not set")
def test_postgres_cut_off_and_back(database_url, keys):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    url = make_url(database_url)
    proxy = SeverableProxy(url.host or "127.0.0.1", url.port or 5432)
    config = TestConfig(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    config.DB_CONNECT_TIMEOUT = 2
    app = create_app(config)
    client = app.test_client()
    try:
        assert client.get(URL, headers=keys["clerk"]).status_code == 200
        proxy.sever()
        for call in (
            lambda: client.get(URL, headers=keys["clerk"]),
            lambda: client.post(URL, json=institution(), headers=keys["clerk"]),
            lambda: client.get("/readyz"),
        ):
            response, seconds = timed(call)
            assert response.status_code == 503, response.get_data(as_text=True)
            assert seconds < 15  # connect timeout 2 s (+ auth lookup); the point is: no hang
        assert client.get("/healthz").status_code == 200
        proxy.restore()
        assert client.get("/readyz").status_code == 200
        assert client.post(URL, json=institution(), headers=keys["clerk"]).status_code == 201
    finally:
        proxy.close()
        with app.app_context():
            db.engine.dispose()


def test_locked_sqlite_answers_503_after_the_busy_timeout(database_url, keys):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    config = TestConfig(database_url)
    config.SQLITE_BUSY_TIMEOUT_MS = 300
    app = create_app(config)
    client = app.test_client()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        response, seconds = timed(
            lambda: client.post(URL, json=institution(), headers=keys["clerk"])
        )
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
        assert "Retry-After" in response.headers
        assert seconds < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post(URL, json=institution(), headers=keys["clerk"]).status_code == 201


def _terminate_other_backends(app) -> int:
    """Close every other session of the app's database on the server's side (a restart, a
    proxy's idle timeout); the app's pooled connections do not know yet."""
    holder = create_engine(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with holder.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
    finally:
        holder.dispose()


@pytest.mark.parametrize("lost", ["idle a while", "idle a moment"])
def test_postgres_connections_closed_by_the_server_are_replaced(
    app, client, keys, monkeypatch, lost
):
    """A pooled connection idle for a while is asked first, and a dead one is replaced: the
    request does not notice. One used a moment ago is not asked: its loss is a 503, and the
    next request works."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    assert client.get(URL, headers=keys["clerk"]).status_code == 200
    assert _terminate_other_backends(app) >= 1
    if lost == "idle a while":
        monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0)
        assert client.get(URL, headers=keys["clerk"]).status_code == 200
    else:
        assert client.get(URL, headers=keys["clerk"]).status_code == 503
    assert client.get(URL, headers=keys["clerk"]).status_code == 200
    assert client.post(URL, json=institution(), headers=keys["clerk"]).status_code == 201


@pytest.mark.parametrize("first", ["GET", "POST"])
def test_asking_a_live_postgres_connection_leaves_no_transaction_open(
    app, client, keys, monkeypatch, first
):
    """The question to an idle connection runs outside any transaction, whatever the
    connection's last request was (a read runs in autocommit, a write does not)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0)
    if first == "GET":
        assert client.get(URL, headers=keys["clerk"]).status_code == 200
    else:
        assert client.post(URL, json=institution(), headers=keys["clerk"]).status_code == 201
    for _ in range(2):
        assert client.get(URL, headers=keys["clerk"]).status_code == 200
        assert client.post(URL, json=institution(), headers=keys["clerk"]).status_code == 201
