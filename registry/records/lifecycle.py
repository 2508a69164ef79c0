"""Create, change and delete a record: validate, version, history, feed, in one transaction."""

import re

import orjson
from sqlalchemy import delete, exists, select, text

from registry.errors import ApiError
from registry.extensions import db
from registry.records.body import normalise, unknown_fields
from registry.records.declaration import Resource
from registry.records.links import invalid
from registry.records.model import RecordEvent, new_id, rfc3339, utcnow
from registry.search.text import fold, search_text

# Any constant: the key of the PostgreSQL advisory lock that orders the change feed.
FEED_LOCK_KEY = 0x52454731


def body_of(resource: Resource, doc: dict) -> dict:
    """The writable part of a stored or submitted record."""
    return {k: v for k, v in doc.items() if k not in resource.read_only}


def known_body(resource: Resource, payload: dict) -> dict:
    """The writable part of a submitted body; a 422 names any field the schema does not know."""
    body = body_of(resource, payload)
    invalid(unknown_fields(resource.schema, body))
    return body


def load_body(resource: Resource, payload: dict) -> dict:
    """Normalise, validate and return the JSON-ready body; ValidationError becomes a 422.

    A body schema loads every field as the JSON value it would dump (schemas.common.Date).
    """
    return resource.schema.load(normalise(known_body(resource, payload)))


def sort_name(names) -> str:
    for name in names:
        if name:
            return fold(name)[:300]
    return ""


def search_columns(resource: Resource, body: dict) -> dict:
    """The columns a record is sorted and searched by: they follow from its body alone."""
    return {
        "sort_name": sort_name(resource.names(body)),
        "search_text": search_text(resource.searchable(body)),
    }


def record_state(
    resource: Resource,
    body: dict,
    *,
    record_id: str,
    version: int,
    created_at,
    now,
    search: dict | None = None,
) -> dict:
    """Every column of a record at one version: its own columns, sort and search keys, doc.

    `search`: search_columns(resource, body) when they were worked out already.
    """
    return {
        **resource.columns(body),
        "id": record_id,
        "version": version,
        "created_at": created_at,
        "updated_at": now,
        **(search or search_columns(resource, body)),
        "doc": {
            "id": record_id,
            **body,
            "version": version,
            "created_at": rfc3339(created_at),
            "updated_at": rfc3339(now),
        },
    }


# The end of a stored record's JSON as orjson writes record_state's doc: the body comes
# between the id and these.
STORED_TAIL = re.compile(rb',"version":[0-9]+,"created_at":"[^"\\]*","updated_at":"[^"\\]*"\}')


def stored_body_is(stored: bytes | str, record_id: str, body: dict) -> bool:
    """Whether a record's stored JSON (`doc` as the database keeps it) holds exactly `body`,
    compared as text: the doc that record_state writes is the id, the body, then the version
    and times. False also when the text is laid out otherwise; compare the parsed doc then.
    """
    if isinstance(stored, str):
        stored = stored.encode()
    head = b'{"id":"' + record_id.encode() + b'",'
    tail_at = stored.rfind(b',"version":')  # a quote within a string is escaped: a key
    return (
        tail_at >= len(head) - 1
        and stored.startswith(head)
        and STORED_TAIL.fullmatch(stored, tail_at) is not None
        and stored[len(head) : tail_at] == orjson.dumps(body)[1:-1]
    )


def save_record(resource: Resource, *, payload: dict, actor: str, record=None):
    """Validate the payload as the record's whole new state and write it if it differs.

    Returns (record, action) where action is "created", "updated" or None for no change.
    (registry.records.bulk writes many records the same way, batched, for imports.)
    """
    body = load_body(resource, payload)
    if resource.rules:
        resource.rules(body, record)
    if record is not None and body == body_of(resource, record.doc):
        return record, None
    now = utcnow()
    action = "updated" if record is not None else "created"
    if record is None:
        record = resource.model(id=new_id(), created_at=now)
        db.session.add(record)
    version = record.version + 1 if action == "updated" else 1
    state = record_state(
        resource, body, record_id=record.id, version=version, created_at=record.created_at, now=now
    )
    for column, value in state.items():
        setattr(record, column, value)
    db.session.flush()
    _sync_children(resource, record, body, replace=action == "updated")
    record_event(resource.name, record.id, record.version, action, actor, now, record.doc)
    return record, action


def _sync_children(resource: Resource, record, body: dict, *, replace: bool) -> None:
    for children in resource.children:
        parent = getattr(children.model, children.parent_column)
        if replace:
            db.session.execute(delete(children.model).where(parent == record.id))
        rows = [{children.parent_column: record.id, **row} for row in children.rows(body)]
        if rows:
            db.session.execute(children.model.__table__.insert(), rows)


def referrers(resource: Resource, record_id: str) -> list[str]:
    """Labels of the collections that still name this record."""
    return [
        ref.label
        for ref in resource.references
        if db.session.scalar(select(exists().where(ref.column == record_id)))
    ]


def delete_record(resource: Resource, *, record, actor: str) -> None:
    """Delete unless referenced (409); the history ends with a `deleted` entry."""
    still = referrers(resource, record.id)
    if still:
        raise ApiError(
            409,
            f"This record is still referenced by {', '.join(still)}; "
            "remove or re-point those first.",
            title="Record in use",
        )
    if resource.on_delete:
        resource.on_delete(record, actor)
    for children in resource.children:
        parent = getattr(children.model, children.parent_column)
        db.session.execute(delete(children.model).where(parent == record.id))
    version = record.version + 1
    db.session.delete(record)
    db.session.flush()
    record_event(resource.name, record.id, version, "deleted", actor, utcnow(), None)


def hold_feed_lock() -> None:
    """On PostgreSQL, take (once a transaction) the lock that keeps feed numbers in order."""
    session = db.session()
    transaction = session.get_transaction()
    if (
        session.get_bind().dialect.name == "postgresql"
        and session.info.get("feed") is not transaction
    ):
        # Held to commit: a later sequence number cannot become visible before an earlier one.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
        session.info["feed"] = transaction


def record_event(resource: str, record_id: str, version: int, action: str, actor: str, at, doc):
    """Append to history, audit and feed; on PostgreSQL feed numbers commit in order."""
    hold_feed_lock()
    db.session.add(
        RecordEvent(
            resource=resource,
            record_id=record_id,
            version=version,
            action=action,
            actor=actor,
            at=at,
            snapshot=doc,
        )
    )
