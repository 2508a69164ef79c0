"""Columns every record has, and the one event table behind history, audit and the feed."""

import os
import threading
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from registry.extensions import db

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class _Entropy(threading.local):
    """Random bytes for record ids, per thread, read from the system 4 KiB at a time."""

    def __init__(self) -> None:
        self.pool, self.at = b"", 0


_entropy = _Entropy()
os.register_at_fork(after_in_child=_entropy.__init__)  # a worker never reuses its parent's


def new_id() -> str:
    """A random UUID (version 4) as text, as str(uuid.uuid4()) gives it, at a third of the cost
    (an import makes one for every new record): os.urandom is called once for 256 ids."""
    if _entropy.at == len(_entropy.pool):
        _entropy.pool, _entropy.at = os.urandom(4096), 0
    at = _entropy.at
    _entropy.at = at + 16
    raw = bytearray(_entropy.pool[at : at + 16])
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    digits = raw.hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@lru_cache(maxsize=1024)  # an import stamps every record it writes with one moment
def rfc3339(moment: datetime | None) -> str | None:
    """Naive UTC datetimes as RFC 3339 with Z."""
    if moment is None:
        return None
    return moment.isoformat(timespec="microseconds") + "Z"


class RecordMixin:
    """id, version, timestamps, the ready JSON of the record, and what it sorts and searches by."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    # The record as the API shows it, kept ready so that reads never run marshmallow.
    doc: Mapped[dict] = mapped_column(JSON, nullable=False)
    sort_name: Mapped[str] = mapped_column(String(300), nullable=False)
    search_text: Mapped[str] = mapped_column(Text, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # UPDATE ... WHERE version = :seen: of two concurrent writers one wins, one gets 412.
        # The lifecycle sets each version itself (the stored JSON carries it).
        return {"version_id_col": cls.version, "version_id_generator": False}

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        name = cls.__tablename__
        return (
            Index(f"ix_{name}_updated", "updated_at", "id"),
            Index(f"ix_{name}_created", "created_at", "id"),
            Index(f"ix_{name}_sort_name", "sort_name", "id"),
            *getattr(cls, "__extra_indexes__", ()),
        )


class RecordEvent(db.Model):
    """One row per version of a record: its history, the audit trail and the change feed."""

    __tablename__ = "record_events"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(300), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    snapshot: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)

    __table_args__ = (
        Index("ix_record_events_record", "resource", "record_id", "version"),
        Index("ix_record_events_actor", "actor", "seq"),
        Index("ix_record_events_resource", "resource", "seq"),
        Index("ix_record_events_at", "at"),
    )

    def feed_item(self) -> dict:
        return {
            "seq": self.seq,
            "resource": self.resource,
            "id": self.record_id,
            "action": self.action,
            "version": self.version,
            "at": rfc3339(self.at),
        }

    def history_item(self) -> dict:
        return {
            "version": self.version,
            "action": self.action,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "record": self.snapshot,
        }

    def audit_item(self) -> dict:
        return {**self.feed_item(), "actor": self.actor, "note": self.note}
