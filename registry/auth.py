"""API keys, roles, and the one table that says which role may do what."""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, String, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import READ_METHODS
from registry.errors import ApiError
from registry.extensions import db
from registry.records.driver import DriverSelect
from registry.records.model import new_id, utcnow

# Capability -> roles allowed (contract §2). Every /api/v1 view declares one capability.
PERMISSIONS: dict[str, frozenset[str]] = {
    "public": frozenset({"anonymous", "admin", "clerk", "integration", "procurement"}),
    "read": frozenset({"admin", "clerk", "integration", "procurement"}),
    "write_core": frozenset({"admin", "clerk", "integration"}),  # institutions, reagents
    "write_cooperation": frozenset({"admin", "clerk"}),  # partnerships, contacts, exchanges
    "changes": frozenset({"admin", "integration"}),
    "admin": frozenset({"admin"}),
}
ROLES = ("admin", "clerk", "integration", "procurement")
# Endpoints whose view functions cannot carry a mark (static files).
PUBLIC_ENDPOINTS = {"swagger_assets.static", "static"}
# Public paths, whatever the method: a POST to them is a 405, not a 401.
PUBLIC_PATHS = {"/api/v1/openapi.json", "/api/v1/docs"}
LAST_USED_GRANULARITY = timedelta(minutes=1)
KEY_PREFIX = "mcr_"


class ApiKey(db.Model):
    """A key holder; the secret itself is never stored, only its SHA-256."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def hash_secret(secret: str) -> str:
    # 256 random bits need no slow hash: nobody can guess them, and reads stay fast.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(*, name: str, role: str, secret: str | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret (random unless given), shown to the caller once."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    secret = secret or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, role=role, secret_hash=hash_secret(secret))
    db.session.add(key)
    db.session.flush()
    return key, secret


def requires(capability: str):
    """Mark a view with the capability it needs; `authorize` enforces it."""
    if capability not in PERMISSIONS:
        raise ValueError(f"unknown capability {capability}")

    def mark(view):
        view.capability = capability
        return view

    return mark


def derived_secret(idempotency_key: str) -> str:
    """The secret of a key issued under an Idempotency-Key: derived from the caller's own
    secret and that key, so that a repeat shows the same secret again although only hashes
    of secrets are stored. Nobody without the caller's secret can derive it."""
    caller = (_bearer_secret() or "").encode()
    digest = hmac.new(caller, f"api-key\n{idempotency_key}".encode(), hashlib.sha256).digest()
    return KEY_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


# Every request pays for this lookup: compiled once per database kind, run through the driver.
_KEY_LOOKUP = select(
    ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.secret_hash, ApiKey.last_used_at
).where(ApiKey.secret_hash == bindparam("digest"), ApiKey.revoked_at.is_(None))
_KEY_LOOKUPS: dict[str, DriverSelect] = {}


class FoundKey(NamedTuple):
    id: str
    name: str
    role: str
    secret_hash: str
    last_used_at: datetime | None


def _find_key(secret: str) -> FoundKey | None:
    """The active key with this secret."""
    digest = hash_secret(secret)
    connection = db.session.connection()
    dialect = connection.dialect
    lookup = _KEY_LOOKUPS.get(dialect.name)
    if lookup is None:
        lookup = _KEY_LOOKUPS[dialect.name] = DriverSelect(_KEY_LOOKUP, dialect)
    rows = lookup.rows(connection, {"digest": digest})
    if not rows:
        return None
    key = FoundKey(*lookup.values(rows[:1])[0])
    return key if hmac.compare_digest(key.secret_hash, digest) else None


def _touch(key_id: str, last_used: datetime | None) -> None:
    now = utcnow()
    if last_used is None or now - last_used >= LAST_USED_GRANULARITY:
        # Reads must not become writes: at most one small update a minute per key, on its own
        # connection so that the request's transaction stays read-only; best effort.
        try:
            with db.engine.begin() as connection:
                connection.execute(
                    update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)
                )
        except OperationalError:
            pass


def authorize() -> None:
    """before_request: who is calling, and may they call this endpoint?"""
    view = current_app.view_functions.get(request.endpoint or "")
    capability = getattr(view, "capability", None)
    # CORS preflights carry no credentials; Flask answers them with Allow and no data.
    if (
        capability == "public"
        or request.endpoint in PUBLIC_ENDPOINTS
        or request.path in PUBLIC_PATHS
        or request.method == "OPTIONS"
    ):
        g.role, g.actor, g.key_id = "anonymous", "anonymous", None
        return
    if not request.path.startswith("/api/"):
        return
    secret = _bearer_secret()
    key = _find_key(secret) if secret else None
    if key is None:
        raise ApiError(
            401,
            "Send a valid API key as `Authorization: Bearer <key>`.",
            headers={"WWW-Authenticate": 'Bearer realm="registry"'},
        )
    g.role, g.actor, g.key_id = key.role, key.name, key.id
    last_used = key.last_used_at
    if request.method not in READ_METHODS:
        # End the lookup's transaction: a write's BEGIN IMMEDIATE holds SQLite's lock; a read
        # goes on in the same snapshot.
        db.session.rollback()
    _touch(g.key_id, last_used)
    if view is None:
        return  # the router answers 404 or 405 next
    if g.role not in PERMISSIONS.get(capability or "admin", PERMISSIONS["admin"]):
        raise ApiError(403, f"The {g.role} role may not do this.")


def init_app(app: Flask) -> None:
    app.before_request(authorize)
