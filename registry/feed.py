"""The change feed and the audit trail, both read from the one event table."""

from datetime import UTC, datetime, time

from flask import Blueprint, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from registry.auth import requires
from registry.extensions import db
from registry.jsonio import json_response
from registry.openapi import document, errors_for, json_content
from registry.records.listing import page_response, parse_args
from registry.records.model import RecordEvent
from registry.records.views import RESOURCES

MAX_SEQ = 2**62


class ChangesArgs(Schema):
    since = fields.Integer(strict=False, load_default=0, validate=validate.Range(0, MAX_SEQ))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class SeqCursor(fields.String):
    """The audit's cursor: the `next_cursor` string of the page before (an event's seq)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not (value.isascii() and value.isdigit() and 0 < int(value) <= MAX_SEQ):
            raise ValidationError("Not a cursor of the audit; start again without it.")
        return int(value)


def _collection(name: str) -> None:
    if name not in RESOURCES:
        raise ValidationError(f"Not a collection; one of {', '.join(RESOURCES)}.")


class Moment(fields.String):
    """A date (YYYY-MM-DD, from its start) or an RFC 3339 date-time."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if len(value) == 10:
                return datetime.combine(datetime.fromisoformat(value).date(), time())
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (TypeError, ValueError):
            raise ValidationError("Not a date or an RFC 3339 date-time.") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment


class AuditArgs(Schema):
    actor = fields.String(validate=validate.Length(max=300))
    resource = fields.String(validate=_collection, metadata={"description": "A collection"})
    since = Moment(
        metadata={"description": "Only events at or after this moment", "format": "date-time"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = SeqCursor()


changes_args = ChangesArgs(unknown=RAISE)
audit_args = AuditArgs(unknown=RAISE)

EVENT = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"},
        "resource": {"type": "string"},
        "id": {"type": "string"},
        "action": {"type": "string", "enum": ["created", "updated", "deleted"]},
        "version": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
    },
}
AUDIT_ITEM = {
    "type": "object",
    "properties": {
        **EVENT["properties"],
        "actor": {"type": "string"},
        "note": {"type": "string", "nullable": True},
    },
}


def _list_of(item: dict, after: dict) -> dict:
    return json_content(
        {"type": "object", "properties": {"items": {"type": "array", "items": item}, **after}}
    )


OPERATIONS = {
    "/api/v1/changes": {
        "get": {
            "tags": ["integration"],
            "summary": "The change feed: every committed change exactly once, in seq order",
            "parameters": [{"in": "query", "schema": changes_args}],
            "responses": {
                "200": {
                    "description": "Changes after `since`",
                    "content": _list_of(EVENT, {"next_since": {"type": "integer"}}),
                },
                **errors_for(401, 403, 422, 429, 503),
            },
        }
    },
    "/api/v1/audit": {
        "get": {
            "tags": ["integration"],
            "summary": "Who changed what and when, newest first",
            "parameters": [{"in": "query", "schema": audit_args}],
            "responses": {
                "200": {
                    "description": "A page of the audit trail",
                    "content": _list_of(
                        AUDIT_ITEM, {"next_cursor": {"type": "string", "nullable": True}}
                    ),
                },
                **errors_for(401, 403, 422, 429, 503),
            },
        }
    },
}


def register_feed(blueprint: Blueprint) -> None:
    for path, operations in OPERATIONS.items():
        document(path, operations)

    @blueprint.get("/changes")
    @requires("changes")
    def changes():
        """Every committed change exactly once, in seq order."""
        args = parse_args(changes_args, request.args)
        events = db.session.scalars(
            select(RecordEvent)
            .where(RecordEvent.seq > args["since"])
            .order_by(RecordEvent.seq)
            .limit(args["limit"])
        ).all()
        items = [event.feed_item() for event in events]
        next_since = items[-1]["seq"] if items else args["since"]
        return json_response({"items": items, "next_since": next_since})

    @blueprint.get("/audit")
    @requires("admin")
    def audit():
        """Who changed what and when, newest first."""
        args = parse_args(audit_args, request.args)
        stmt = select(RecordEvent).order_by(RecordEvent.seq.desc()).limit(args["limit"] + 1)
        if args.get("actor"):
            stmt = stmt.where(RecordEvent.actor == args["actor"])
        if args.get("resource"):
            stmt = stmt.where(RecordEvent.resource == args["resource"])
        if args.get("since"):
            stmt = stmt.where(RecordEvent.at >= args["since"])
        if args.get("cursor"):
            stmt = stmt.where(RecordEvent.seq < args["cursor"])
        events = db.session.scalars(stmt).all()
        return page_response(
            events, args["limit"], lambda event: str(event.seq), RecordEvent.audit_item
        )
