"""A real gunicorn, started as `make run` starts it, for what only a served app shows."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_database(migrated, tmp_path: Path) -> dict:
    """The environment of a server on a copy of the migrated SQLite template."""
    database = tmp_path / "served.sqlite3"
    shutil.copy(migrated("sqlite").removeprefix("sqlite:///"), database)
    return {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{database}"}


def cli_key(env: dict, role: str) -> str:
    """A new key's secret from the CLI, as a newcomer makes one."""
    made = subprocess.run(
        [str(BIN / "flask"), "--app", "registry", "keys", "create", "--name", role, "--role", role],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip().splitlines()[-1]


@contextmanager
def gunicorn(env: dict, workers: int = 1) -> Iterator[str]:
    """gunicorn with gunicorn.conf.py on a free port, up and answering: its base URL."""
    base = f"http://127.0.0.1:{_free_port()}"
    command = [str(BIN / "gunicorn"), "--no-control-socket", "--workers", str(workers)]
    server = subprocess.Popen(
        [*command, "--bind", base.removeprefix("http://"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def fetch(url: str, headers: dict | None = None):
    """(status, headers) of a GET, errors included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
