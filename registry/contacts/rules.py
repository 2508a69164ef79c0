"""Who sees a contact's personal data, and how a DELETE erases it everywhere it was stored."""

from flask import g
from sqlalchemy import Select, select

from registry.contacts.model import Contact
from registry.extensions import db
from registry.institutions.model import Institution
from registry.records import RecordEvent
from registry.records.idempotency import IdempotencyRecord
from registry.records.links import invalid, unknown_ids
from registry.search.text import like_pattern
from schemas.common import first_name

# Shown to every role only with consent; admin and clerk keys always see them.
PRIVATE_FIELDS = ("email", "phone", "messengers")
SEES_PRIVATE = frozenset({"admin", "clerk"})
# What an erasure removes from every stored copy of the record.
PERSONAL_FIELDS = ("full_name", "position", *PRIVATE_FIELDS)
ERASED_NOTE = "personal data erased"


def check_contact(body: dict, record) -> None:
    invalid(unknown_ids(Institution, [("institution_id", body["institution_id"])]))


def consented(doc: dict) -> bool:
    return bool((doc.get("consent") or {}).get("given"))


def _without_private(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if key not in PRIVATE_FIELDS}


def present(doc: dict, role: str) -> dict:
    """The contact as this role may see it."""
    return doc if role in SEES_PRIVATE or consented(doc) else _without_private(doc)


def present_version(doc: dict, current: dict | None, role: str) -> dict:
    """A past version as this role may see it: its private fields need the consent of that
    version and of the contact today (consent withdrawn since hides them in history too)."""
    if role in SEES_PRIVATE or (consented(doc) and current is not None and consented(current)):
        return doc
    return _without_private(doc)


def searchable(body: dict, *, private: bool = True) -> list[str | None]:
    email = body.get("email") if private or consented(body) else None
    return [*first_name(body["full_name"]), body.get("position"), email]


def search(stmt: Select, words: list[str]) -> Select:
    """`q` over what the caller may see: no e-mail matches without consent for other roles."""
    column = Contact.search_text if g.get("role") in SEES_PRIVATE else Contact.public_search_text
    for word in words:
        stmt = stmt.where(column.like(like_pattern(word), escape="\\"))
    return stmt


def erase(record: Contact, actor: str) -> None:
    """Strip personal fields from every stored version, and drop stored replies naming it.

    The events themselves stay, so the audit still shows which contact id changed, by whom
    and when; the `deleted` event the lifecycle adds next records the erasure itself.
    """
    events = db.session.scalars(
        select(RecordEvent).where(
            RecordEvent.resource == "contacts", RecordEvent.record_id == record.id
        )
    )
    for event in events:
        if event.snapshot is not None:
            event.snapshot = {k: v for k, v in event.snapshot.items() if k not in PERSONAL_FIELDS}
        event.note = ERASED_NOTE
    # A POST with an Idempotency-Key kept its 201 reply, the person's data included.
    location = f"/contacts/{record.id}"
    replies = db.session.execute(
        select(
            IdempotencyRecord.key_id, IdempotencyRecord.idempotency_key, IdempotencyRecord.headers
        )
        .where(IdempotencyRecord.status == 201)
        .where(IdempotencyRecord.created_at <= record.created_at)
    )
    for key_id, key, headers in replies:
        if (headers or {}).get("Location", "").endswith(location):
            db.session.delete(db.session.get(IdempotencyRecord, (key_id, key)))
