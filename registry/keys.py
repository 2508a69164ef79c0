"""The /api/v1/keys endpoints (admin): issue, list and revoke API keys."""

import functools

from flask import Blueprint, Response, request, url_for
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import literal, select, tuple_

from registry.auth import ROLES, ApiKey, derived_secret, issue_key, requires
from registry.errors import ApiError, field_error
from registry.extensions import db
from registry.jsonio import json_response
from registry.openapi import document, errors_for, json_content
from registry.records.body import json_body, normalise
from registry.records.idempotency import idempotent
from registry.records.listing import page_response, parse_args
from registry.records.model import rfc3339, utcnow
from registry.records.views import transaction


class KeyListArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(
        validate=validate.Length(max=64), metadata={"description": "next_cursor of the page before"}
    )


key_list_args = KeyListArgs(unknown=RAISE)


class KeySchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    role = fields.String(
        required=True, validate=validate.OneOf(ROLES), metadata={"enum": list(ROLES)}
    )
    created_at = fields.String(dump_only=True)
    last_used_at = fields.String(dump_only=True, allow_none=True)
    revoked_at = fields.String(dump_only=True, allow_none=True)
    key = fields.String(dump_only=True, metadata={"description": "The secret, shown once"})


key_schema = KeySchema(unknown=RAISE)


def key_view(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "created_at": rfc3339(key.created_at),
        "last_used_at": rfc3339(key.last_used_at),
        "revoked_at": rfc3339(key.revoked_at),
    }


KEY_LIST = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": KeySchema},
        "next_cursor": {"type": "string", "nullable": True},
    },
}
KEY_ID = {
    "in": "path",
    "name": "key_id",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
OPERATIONS = {
    "/api/v1/keys": {
        "post": {
            "tags": ["keys"],
            "summary": "Issue a key; the secret `key` is in this response only",
            "description": "A repeat with the same Idempotency-Key shows the same secret again: "
            "it is derived from the caller's own secret, never stored.",
            "parameters": [
                {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}
            ],
            "requestBody": {"required": True, "content": json_content(KeySchema)},
            "responses": {
                "201": {"description": "The new key", "content": json_content(KeySchema)},
                **errors_for(400, 401, 403, 409, 413, 415, 422, 429, 503),
            },
        },
        "get": {
            "tags": ["keys"],
            "summary": "Every key, without secrets, oldest first, keyset-paged",
            "parameters": [{"in": "query", "schema": key_list_args}],
            "responses": {
                "200": {"description": "Keys", "content": json_content(KEY_LIST)},
                **errors_for(401, 403, 422, 429, 503),
            },
        },
    },
    "/api/v1/keys/{key_id}": {
        "delete": {
            "tags": ["keys"],
            "summary": "Revoke a key",
            "parameters": [KEY_ID],
            "responses": {"204": {"description": "Revoked"}, **errors_for(401, 403, 404, 429, 503)},
        }
    },
}


def register_keys(blueprint: Blueprint) -> None:
    for path, operations in OPERATIONS.items():
        document(path, operations)

    def idempotent_secret() -> str | None:
        """Under an Idempotency-Key, the secret a repeat can derive again; else None (random)."""
        idempotency_key = request.headers.get("Idempotency-Key")
        return derived_secret(idempotency_key.strip()) if idempotency_key else None

    @blueprint.post("/keys")
    @requires("admin")
    @transaction
    @functools.partial(idempotent, recomputed={"key": idempotent_secret})
    def create_key():
        """Issue a key; its secret is in this response only (and in a repeat of the request
        with the same Idempotency-Key, which derives it again: it is never stored)."""
        data = key_schema.load(normalise(json_body()))
        key, secret = issue_key(name=data["name"], role=data["role"], secret=idempotent_secret())
        response = json_response({**key_view(key), "key": secret}, 201)
        response.headers["Location"] = url_for("api.list_keys") + f"/{key.id}"
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.get("/keys")
    @requires("admin")
    def list_keys():
        """Every key, without secrets, oldest first; the cursor is the last key's id."""
        args = parse_args(key_list_args, request.args)
        stmt = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(args["limit"] + 1)
        if args.get("cursor"):
            after = db.session.get(ApiKey, args["cursor"])  # keys are revoked, never deleted
            if after is None:
                raise field_error("cursor", "Not a cursor of this list; start again without it.")
            key = tuple_(ApiKey.created_at, ApiKey.id)
            stmt = stmt.where(key > tuple_(literal(after.created_at), literal(after.id)))
        keys = db.session.scalars(stmt).all()
        return page_response(keys, args["limit"], lambda key: key.id, key_view)

    @blueprint.delete("/keys/<uuid:key_id>")
    @requires("admin")
    def revoke_key(key_id):
        """Revoke a key: it stops working at once."""
        key = db.session.get(ApiKey, str(key_id))
        if key is None or key.revoked_at is not None:
            raise ApiError(404, f"No active key with id {key_id}.")
        key.revoked_at = utcnow()
        db.session.commit()
        return Response(status=204)
