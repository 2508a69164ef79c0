"""Operations: health, readiness, Prometheus metrics, access logs and response headers."""

import logging
import os
import time

import orjson
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registry.auth import requires
from registry.extensions import db, migrate
from registry.openapi import document, json_content

log = logging.getLogger("registry.access")

REQUESTS = Counter(
    "registry_requests_total", "HTTP requests by endpoint and status", ["endpoint", "status"]
)
LATENCY = Histogram(
    "registry_request_seconds",
    "Request latency by endpoint",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _migrated() -> bool:
    config = migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def _start_timer() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(elapsed)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.status_code in (204, 304):  # no body, so no type for it
        response.headers.pop("Content-Type", None)
    origins = current_app.config["CORS_ORIGINS"]
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Location, Link, Retry-After"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key"
            )
            response.headers["Access-Control-Max-Age"] = "600"
    if log.isEnabledFor(logging.INFO):
        # Structured, and never the Authorization header or a body.
        log.info(
            orjson.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round(elapsed * 1000, 2),
                    "actor": g.get("actor"),
                    "remote": request.remote_addr,
                }
            ).decode()
        )
    return response


TEXT = {"type": "string"}
STATUS = json_content({"type": "object", "properties": {"status": {"type": "string"}}})
OPERATIONS = {
    "/healthz": ("The process is up", {"200": {"description": "Up", "content": STATUS}}),
    "/readyz": (
        "The database answers and carries the latest migration",
        {
            "200": {"description": "Ready", "content": STATUS},
            "503": {"description": "Database unreachable or not migrated", "content": STATUS},
        },
    ),
    "/metrics": (
        "Prometheus text format, summed over the server's workers",
        {
            "200": {
                "description": "Metrics",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    ),
}


def register_ops(app: Flask) -> None:
    for path, (summary, responses) in OPERATIONS.items():
        operation = {
            "tags": ["operations"],
            "summary": summary,
            "security": [],
            "responses": responses,
        }
        document(path, {"get": operation})
    app.before_request(_start_timer)
    app.after_request(_finish)

    @app.get("/healthz")
    @requires("public")
    def healthz():
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    @requires("public")
    def readyz():
        """The database answers and carries the latest migration."""
        try:
            if not _migrated():
                return Response(
                    orjson.dumps({"status": "unready", "reason": "database not migrated"}),
                    status=503,
                    mimetype="application/json",
                )
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return Response(
                orjson.dumps({"status": "unready", "reason": "database unreachable"}),
                status=503,
                mimetype="application/json",
            )
        return {"status": "ready"}

    @app.get("/metrics")
    @requires("public")
    def metrics():
        """Prometheus text format."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Under gunicorn every worker counts apart; sum them all for one scrape.
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)
