"""Rate limits per key: 429 with Retry-After, and one shared budget across servers via Redis."""

import os
import uuid

import pytest

from registry import create_app
from registry.config import TestConfig

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
