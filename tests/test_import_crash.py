"""A server killed in the middle of an import leaves the database as it was before it."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from tests.builders import institution, post
from tests.builders_integration import csv_body, written

ROOT = Path(__file__).resolve().parent.parent
ROWS = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(database_url: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn as `make run` starts it, one worker, in a session of its own."""
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "--no-control-socket", "--workers", "1",
        "--bind", f"127.0.0.1:{port}", "wsgi:app",
    ]  # fmt: skip
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError(f"the server did not start: {log.read_text()}")


def _writing(database_url: str) -> bool:
    """Has the server's import begun a write it has not committed?

    SQLite: another connection holds the write lock. (The import's pages stay in its 64 MB
    page cache, so the WAL file may not grow before the commit.)
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(url.database, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:  # database is locked
            return True
        finally:
            probe.close()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        engine.dispose()


def test_a_killed_import_leaves_the_database_as_before(client, keys, database_url, tmp_path):
    post(client, "/api/v1/institutions", institution(), keys["clerk"])
    before = written(client, keys["admin"])
    header = ["names.ru", "kind", "country", "region", "city"]
    rows = [[f"Больница {n}", "hospital", "BY", "BY-MI", "Минск"] for n in range(ROWS)]
    body = csv_body(header, rows)
    port = _free_port()
    server = _start_server(database_url, port, tmp_path / "gunicorn.log")
    try:
        sock = socket.create_connection(("127.0.0.1", port))
        head = (
            "POST /api/v1/imports/institutions HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: {keys['clerk']['Authorization']}\r\n"
            "Content-Type: text/csv\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) * 2 // 3])  # the rest never comes
        deadline = time.monotonic() + 60
        while not _writing(database_url):
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.2)
        time.sleep(2)  # chunks are written (the body stops a third short: the import waits)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    sock.close()
    assert written(client, keys["admin"]) == before
    # The database is usable: nothing was left half-written or locked.
    post(client, "/api/v1/institutions", institution(), keys["clerk"])
    assert written(client, keys["admin"])[0] == before[0] + 1
