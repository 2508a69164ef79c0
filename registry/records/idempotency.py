"""Idempotency-Key on POST: a repeat returns the first response and writes nothing."""

import functools
import hashlib
import random
from datetime import datetime, timedelta

from flask import Response, g, request
from sqlalchemy import DateTime, Integer, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from registry.errors import ApiError, field_error
from registry.extensions import db
from registry.records.model import utcnow

KEEP_FOR = timedelta(hours=48)  # the contract promises at least 24 hours
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type", "Cache-Control")


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


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(stored: IdempotencyRecord, request_hash: str) -> Response:
    if stored.request_hash != request_hash:
        raise ApiError(
            409,
            "This Idempotency-Key was already used with a different request.",
            title="Idempotency key reused",
        )
    response = Response(stored.body, status=stored.status)
    for name, value in (stored.headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _lookup(key: str) -> IdempotencyRecord | None:
    return db.session.get(IdempotencyRecord, (g.key_id, key))


def idempotent(view):
    """Wrap a POST view: the claim, the write and the stored response commit together."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255:
            raise field_error("Idempotency-Key", "Give 1 to 255 characters.", status=400)
        request_hash = _request_hash()
        stored = _lookup(key)
        if stored is not None:
            return _replay(stored, request_hash)
        claim = IdempotencyRecord(
            key_id=g.key_id, idempotency_key=key, request_hash=request_hash, created_at=utcnow()
        )
        db.session.add(claim)
        try:
            db.session.flush()  # a concurrent holder of the same key waits here, then fails
        except IntegrityError:
            db.session.rollback()
            stored = _lookup(key)
            if stored is None:
                raise ApiError(409, "A request with this Idempotency-Key is in progress.") from None
            return _replay(stored, request_hash)
        response = view(*args, **kwargs)
        claim.status = response.status_code
        claim.headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
        claim.body = response.get_data()
        if random.random() < 0.01:
            db.session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR)
            )
        return response

    return wrapper


def purge_expired() -> int:
    """Drop stored responses older than the retention (also done now and then on POST)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - KEEP_FOR)
    )
    return result.rowcount
