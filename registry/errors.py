"""Every error leaves here, as application/problem+json (RFC 9457)."""

import logging
from collections.abc import Iterable
from http import HTTPStatus

import orjson
from flask import Flask, Response
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("registry.errors")

PROBLEM_TYPE = "https://registry.minsk-chongqing.example/problems/"


class ApiError(Exception):
    """An error a view raises; the handler below turns it into a problem response."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: Iterable[dict] | None = None,
        headers: dict | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail or HTTPStatus(status).description
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        self.title = title


def field_error(field: str, message: str, status: int = 422) -> ApiError:
    """A one-field validation problem."""
    return ApiError(status, f"{field}: {message}", errors=[{"field": field, "message": message}])


def flatten_messages(messages, prefix: str = "") -> list[dict]:
    """marshmallow's nested messages as [{"field": "identifiers.0.value", "message"}]."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}".lstrip(".")
            out.extend(flatten_messages(value, path))
        return out
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return [{"field": prefix, "message": m} for m in messages]
        out = []
        for item in messages:
            out.extend(flatten_messages(item, prefix))
        return out
    return [{"field": prefix, "message": str(messages)}]


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict] | None = None,
    headers: dict | None = None,
    title: str | None = None,
) -> Response:
    """The one shape every error takes."""
    phrase = HTTPStatus(status).phrase
    body = {
        "type": PROBLEM_TYPE + phrase.lower().replace(" ", "-"),
        "title": title or phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None or status == 422:
        body["errors"] = errors or []
    response = Response(orjson.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="registry"')
    return response


def _validation_detail(errors: list[dict]) -> str:
    shown = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"Validation failed: {shown}{more}"


def _is_connection_loss(error: DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower()
    return any(
        marker in text
        for marker in (
            "connection",
            "could not connect",
            "server closed",
            "timeout",
            "database is locked",
            "terminating",
            "unable to open database",
        )
    )


def register_error_handlers(app: Flask) -> None:
    """Route every exception type to a problem response."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        if error.errors is not None and error.status == 422 and not error.detail:
            error.detail = _validation_detail(error.errors)
        return problem(
            error.status,
            error.detail,
            errors=error.errors,
            headers=error.headers,
            title=error.title,
        )

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        errors = flatten_messages(error.messages)
        return problem(422, _validation_detail(errors), errors=errors)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        # werkzeug puts Allow (405), Retry-After (429) and friends on the exception.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                headers[name] = value
        detail = error.description or HTTPStatus(error.code).description
        if error.code == 413:
            detail = "The request body is larger than this endpoint accepts."
        return problem(error.code or 500, detail, headers=headers)

    @app.errorhandler(StaleDataError)
    def stale(error: StaleDataError):
        # Another writer changed the record between our read and our UPDATE ... WHERE version.
        return problem(412, "The record changed meanwhile; fetch it again and reapply.")

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        log.info("integrity conflict: %s", error.orig)
        return problem(409, "The change conflicts with an existing record.")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        if isinstance(error, OperationalError) or _is_connection_loss(error):
            log.warning("database unavailable: %s", error.orig)
            return problem(
                503,
                "The database cannot be reached; try again shortly.",
                headers={"Retry-After": "5"},
            )
        log.exception("database error")
        return problem(500, "An unexpected database error occurred.")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return problem(500, "An unexpected error occurred; it has been logged.")
