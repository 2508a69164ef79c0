"""Quiet secrets and safe headers: no keys in logs, nosniff, a bare Server header, CORS opt-in."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from registry import create_app
from registry.config import TestConfig
from tests.builders import institution, post

ROOT = Path(__file__).resolve().parent.parent


def test_keys_never_reach_the_logs(client, keys, caplog):
    caplog.set_level(logging.DEBUG)
    post(client, "/api/v1/institutions", institution(), keys["clerk"])
    client.get("/api/v1/institutions?q=x", headers=keys["clerk"])
    client.get("/api/v1/institutions", headers={"Authorization": "Bearer mcr_guessed_secret"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '"path":"/api/v1/institutions"' in logged  # the access log is there …
    for headers in keys.values():
        assert headers["Authorization"].split()[1] not in logged  # … without any secret
    assert "mcr_guessed_secret" not in logged


def test_nosniff_and_no_cors_by_default(client, keys):
    response = client.get(
        "/api/v1/institutions", headers={**keys["clerk"], "Origin": "https://evil.example"}
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_for_configured_origins(database_url, keys):
    config = TestConfig(database_url)
    config.CORS_ORIGINS = ["https://portal.minzdrav.by"]
    client = create_app(config).test_client()
    preflight = client.options(
        "/api/v1/institutions",
        headers={"Origin": "https://portal.minzdrav.by", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://portal.minzdrav.by"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = client.get(
        "/api/v1/institutions", headers={**keys["clerk"], "Origin": "https://x.example"}
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_answers_with_a_bare_server_header_and_takes_long_queries(tmp_path, migrated):
    url = migrated("sqlite")
    database = tmp_path / "served.sqlite3"
    database.write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    port = _free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{database}"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--no-control-socket",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    server_header = r.headers.get("Server", "")
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        # The longest q a list takes, in Chinese (4.5 kB encoded), reaches the app: a 401 here,
        # not gunicorn's HTML 414 for a request line over its 4 kB default.
        longest = urllib.parse.quote("重" * 500)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/reagents?q={longest}")
        except urllib.error.HTTPError as error:
            long_query = (error.code, error.headers.get_content_type())
    finally:
        server.terminate()
        server.wait(10)
    assert long_query == (401, "application/problem+json")
    assert "gunicorn" not in server_header.lower() and "/" not in server_header
    assert "werkzeug" not in server_header.lower() and "python" not in server_header.lower()
