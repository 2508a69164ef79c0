"""Exchange rows: kind, status, dates, partnership, and the institution and contact links."""

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.records import RecordMixin


class Exchange(RecordMixin, db.Model):
    __tablename__ = "exchanges"
    __extra_indexes__ = (
        Index("ix_exchanges_dates", "starts_on", "last_day"),
        Index("ix_exchanges_kind", "kind", "updated_at"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    # ends_on, or starts_on for a one-day exchange: what the from/to window compares.
    last_day: Mapped[date] = mapped_column(Date)
    partnership_id: Mapped[str | None] = mapped_column(
        ForeignKey("partnerships.id"), index=True, nullable=True
    )


class ExchangeInstitution(db.Model):
    __tablename__ = "exchange_institutions"

    exchange_id: Mapped[str] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[str] = mapped_column(
        ForeignKey("institutions.id"), primary_key=True, index=True
    )


class ExchangeContact(db.Model):
    """No foreign key: an erased contact leaves its bare id behind (contract §3, Contacts)."""

    __tablename__ = "exchange_contacts"

    exchange_id: Mapped[str] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
