"""Rate limits per key: 429 with Retry-After, one budget across workers (a SQLite file) and
across servers (Redis)."""

import os
import time
import uuid

import pytest
import redis

from registry import create_app
from registry.config import TestConfig
from registry.limits import _storage_uri
from tests.served import cli_key, fetch, gunicorn, served_database

REDIS_URL = os.environ.get("REGISTRY_TEST_REDIS_URL")


def limited_app(database_url, limit, storage="memory://", prefix="registry"):
    config = TestConfig(database_url)
    config.RATE_LIMIT = limit
    config.RATE_LIMIT_STORAGE = storage
    config.RATE_LIMIT_PREFIX = prefix
    return create_app(config)


def alternate(first, second, headers, count=6):
    statuses = []
    for n in range(count):
        server = first if n % 2 == 0 else second
        statuses.append(server.get("/api/v1/institutions", headers=headers).status_code)
    return statuses


def test_429_with_retry_after_per_key(database_url, keys):
    app = limited_app(database_url, "3/minute")
    client = app.test_client()
    statuses = [
        client.get("/api/v1/institutions", headers=keys["clerk"]).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/institutions", headers=keys["clerk"])
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    # another key has its own budget; health checks are never limited
    assert client.get("/api/v1/institutions", headers=keys["admin"]).status_code == 200
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


@pytest.mark.skipif(not REDIS_URL, reason="REGISTRY_TEST_REDIS_URL not set")
def test_two_servers_share_one_limit_through_redis(database_url, keys):
    # A fresh key prefix per run keeps runs apart in the shared Redis.
    prefix = f"registry-test-{uuid.uuid4()}"
    first = limited_app(database_url, "4/minute", REDIS_URL, prefix).test_client()
    second = limited_app(database_url, "4/minute", REDIS_URL, prefix).test_client()
    assert alternate(first, second, keys["clerk"]) == [200, 200, 200, 200, 429, 429]


@pytest.mark.skipif(not REDIS_URL, reason="REGISTRY_TEST_REDIS_URL not set")
def test_a_request_asks_redis_once_and_its_headers_count_every_server(
    database_url, keys, monkeypatch
):
    prefix = f"registry-test-{uuid.uuid4()}"
    first = limited_app(database_url, "5/minute", REDIS_URL, prefix).test_client()
    second = limited_app(database_url, "5/minute", REDIS_URL, prefix).test_client()
    # The window starts here (and Redis loads the script); the others end with it.
    opened = first.get("/api/v1/institutions", headers=keys["clerk"])
    time.sleep(1.1)
    commands = []
    execute = redis.Redis.execute_command

    def counted(client, *args, **options):
        commands.append(args[0])
        return execute(client, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    responses = [
        (first if n % 2 else second).get("/api/v1/institutions", headers=keys["clerk"])
        for n in range(5)
    ]
    assert commands == ["EVALSHA"] * 5  # limits' own storage adds a GET and a TTL to each
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["3", "2", "1", "0", "0"]
    ends = opened.headers["X-RateLimit-Reset"]
    assert [r.headers["X-RateLimit-Reset"] for r in responses] == [ends] * 5
    assert time.time() + 55 <= int(ends) <= time.time() + 60


@pytest.mark.skipif(not REDIS_URL, reason="REGISTRY_TEST_REDIS_URL not set")
def test_a_redis_window_that_ended_starts_again(database_url, keys):
    client = limited_app(
        database_url, "2/second", REDIS_URL, f"registry-test-{uuid.uuid4()}"
    ).test_client()
    for _ in range(30):  # three requests in one window: its 2, then a 429
        statuses = [client.get("/api/v1/institutions", headers=keys["clerk"]) for _ in range(3)]
        if [r.status_code for r in statuses] == [200, 200, 429]:
            break
        time.sleep(0.1)  # a window ended between them, or the last one is not over yet
    assert [r.status_code for r in statuses] == [200, 200, 429]
    time.sleep(max(0.0, int(statuses[-1].headers["X-RateLimit-Reset"]) - time.time()) + 0.05)
    again = client.get("/api/v1/institutions", headers=keys["clerk"])
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "1"


def test_servers_with_memory_storage_do_not_share(database_url, keys):
    first = limited_app(database_url, "4/minute").test_client()
    second = limited_app(database_url, "4/minute").test_client()
    assert alternate(first, second, keys["clerk"]) == [200] * 6


def test_lost_shared_storage_counts_locally_instead_of_failing(database_url, keys):
    # Nothing listens on port 1: every request finds Redis gone, and the limit still holds.
    app = limited_app(database_url, "3/minute", "redis://127.0.0.1:1/0")
    client = app.test_client()
    statuses = [
        client.get("/api/v1/institutions", headers=keys["clerk"]).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_several_windows_each_hold(database_url, keys):
    client = limited_app(database_url, "100/minute;2/hour").test_client()
    first = client.get("/api/v1/institutions", headers=keys["clerk"])
    assert first.headers["X-RateLimit-Limit"] == "2"  # the tighter window is reported
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert client.get("/api/v1/institutions", headers=keys["clerk"]).status_code == 200
    third = client.get("/api/v1/institutions", headers=keys["clerk"])
    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 60


def test_workers_of_one_server_share_one_budget_through_a_file(database_url, keys, tmp_path):
    storage = f"registry-sqlite://{tmp_path / 'limits' / 'rate.sqlite3'}"
    first = limited_app(database_url, "4/minute", storage).test_client()
    second = limited_app(database_url, "4/minute", storage).test_client()
    assert alternate(first, second, keys["clerk"]) == [200, 200, 200, 200, 429, 429]
    remaining = first.get("/api/v1/institutions", headers=keys["admin"])
    assert remaining.headers["X-RateLimit-Remaining"] == "3"


def test_the_default_storage_is_a_file_in_the_instance_folder(tmp_path):
    assert _storage_uri("", str(tmp_path)) == f"registry-sqlite://{tmp_path}/rate-limits.sqlite3"
    assert _storage_uri("memory://", str(tmp_path)) == "registry-memory://"
    assert _storage_uri("redis://h:6379", str(tmp_path)) == "registry-redis://h:6379"
    assert _storage_uri("rediss://h:6380/2", str(tmp_path)) == "registry-rediss://h:6380/2"
    assert _storage_uri("memcached://h:11211", str(tmp_path)) == "memcached://h:11211"


def test_gunicorn_workers_spend_one_budget(migrated, tmp_path):
    """`make run`'s four workers, each its own process: still one budget per key."""
    env = {
        **served_database(migrated, tmp_path),
        "REGISTRY_RATE_LIMIT": "5/minute",
        "REGISTRY_RATE_LIMIT_STORAGE": f"registry-sqlite://{tmp_path / 'rate.sqlite3'}",
    }
    headers = {"Authorization": f"Bearer {cli_key(env, 'clerk')}"}
    with gunicorn(env, workers=4) as base:
        statuses = [fetch(f"{base}/api/v1/reference", headers)[0] for _ in range(12)]
    assert statuses == [200] * 5 + [429] * 7
