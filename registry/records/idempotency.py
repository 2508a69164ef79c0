"""Idempotency-Key on POST: a repeat returns the first response and writes nothing."""

import functools
import hashlib
import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from flask import Response, current_app, g, request
from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from registry.errors import ApiError, field_error
from registry.extensions import db
from registry.records.model import utcnow

KEEP_FOR = timedelta(hours=48)  # the contract promises at least 24 hours
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type", "Cache-Control")
IN_PROGRESS = "A request with this Idempotency-Key is in progress; repeat it shortly."


class IdempotencyRecord(db.Model):
    """The first response to a POST with an Idempotency-Key, per key holder."""

    __tablename__ = "idempotency_records"

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)


class HashingStream(io.RawIOBase):
    """The request body, hashed on its way through: imports are read once, never held whole."""

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self.digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.stream.readinto(buffer)
        self.digest.update(memoryview(buffer)[:count])
        return count

    def hexdigest(self) -> str:
        """The hash of the whole body (what the view left unread is read now)."""
        while self.read(1024 * 1024):
            pass
        return self.digest.hexdigest()


def request_stream():
    """The request body as a stream; views that read it this way may be `streamed`."""
    return g.get("hashing_stream") or request.stream


def _request_hash() -> str:
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"The body is over the limit of {limit} bytes.")
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


Recomputed = dict[str, Callable[[], str]]  # response field -> how a repeat computes it again


def _stored_body(response: Response, recomputed: Recomputed | None) -> bytes:
    """What is kept of a response body: without the fields a repeat computes again (secrets)."""
    body = response.get_data()
    if not recomputed or not 200 <= response.status_code < 300:
        return body
    doc = orjson.loads(body)
    return orjson.dumps({k: v for k, v in doc.items() if k not in recomputed})


def _replay(
    stored: IdempotencyRecord, request_hash: str, recomputed: Recomputed | None = None
) -> Response:
    if stored.request_hash != request_hash:
        raise ApiError(
            409,
            "This Idempotency-Key was already used with a different request.",
            title="Idempotency key reused",
        )
    body = stored.body
    if recomputed and 200 <= stored.status < 300:
        body = orjson.dumps(orjson.loads(body) | {k: make() for k, make in recomputed.items()})
    response = Response(body, status=stored.status)
    for name, value in (stored.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _lookup(key: str) -> IdempotencyRecord | None:
    return db.session.get(IdempotencyRecord, (g.key_id, key))


def _hold(key: str) -> None:
    """On PostgreSQL, a 409 at once while another request holds this key.

    Without it the second request would wait on the claim's primary key for as long as the
    first one runs (a whole import) and then time out. SQLite runs one write at a time anyway.
    """
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{g.key_id}\n{key}".encode()).digest()
    lock = int.from_bytes(digest[:8], "big", signed=True)
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:lock)"), {"lock": lock}):
        raise ApiError(409, IN_PROGRESS)


def _claim(
    key: str, request_hash: str | None, body_hash, recomputed: Recomputed | None
) -> IdempotencyRecord | Response:
    """The new claim on the key, or the response a repeat gets."""
    _hold(key)
    stored = _lookup(key)
    if stored is not None:
        return _replay(stored, body_hash(), recomputed)
    claim = IdempotencyRecord(
        key_id=g.key_id,
        idempotency_key=key,
        request_hash=request_hash or "pending",
        created_at=utcnow(),
    )
    db.session.add(claim)
    try:
        db.session.flush()  # the database decides between two requests that got this far
    except IntegrityError:
        db.session.rollback()
        stored = _lookup(key)
        if stored is None:
            raise ApiError(409, IN_PROGRESS) from None
        return _replay(stored, body_hash(), recomputed)
    return claim


def idempotent(view, *, streamed: bool = False, recomputed: Recomputed | None = None):
    """Wrap a POST view: the claim, the write and the stored response commit together.

    A `streamed` view reads its body through request_stream(), which hashes it on the way,
    so that a large body is never held in memory to be hashed first. `recomputed` fields of a
    successful response are not stored; a repeat computes them again (a new key's secret).
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise field_error("Idempotency-Key", "Give 1 to 255 characters.", status=400)
        # A streamed body's hash is known only once it has been read: a repeat reads it
        # through now, a first request stores the hash when its view is done.
        request_hash = None if streamed else _request_hash()
        claim = _claim(
            key,
            request_hash,
            lambda: request_hash or HashingStream(request.stream).hexdigest(),
            recomputed,
        )
        if isinstance(claim, Response):
            return claim
        if streamed:
            g.hashing_stream = HashingStream(request.stream)
        response = view(*args, **kwargs)
        if streamed:
            claim.request_hash = g.hashing_stream.hexdigest()
        claim.status = response.status_code
        claim.headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
        claim.body = _stored_body(response, recomputed)
        if random.random() < 0.01:
            purge_expired()
        return response

    return wrapper


def purge_expired() -> int:
    """Drop stored responses older than the retention (also done now and then on POST)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR)
    )
    return result.rowcount
