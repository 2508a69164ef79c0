"""Quiet secrets and safe headers: no keys in logs, nosniff, a bare Server header, CORS opt-in."""

import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from registry import create_app
from registry.config import TestConfig
from tests.builders import institution, post
from tests.served import fetch, gunicorn, served_database

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


def test_gunicorn_answers_with_a_bare_server_header_and_takes_long_queries(tmp_path, migrated):
    with gunicorn(served_database(migrated, tmp_path)) as base:
        server_header = fetch(f"{base}/healthz")[1].get("Server", "")
        # The longest q a list takes, in Chinese (4.5 kB encoded), reaches the app: a 401 here,
        # not gunicorn's HTML 414 for a request line over its 4 kB default.
        status, headers = fetch(f"{base}/api/v1/reagents?q={urllib.parse.quote('重' * 500)}")
    assert (status, headers.get_content_type()) == (401, "application/problem+json")
    assert "gunicorn" not in server_header.lower() and "/" not in server_header
    assert "werkzeug" not in server_header.lower() and "python" not in server_header.lower()
