"""Reagent rows: the columns lists filter, sort and facet on, and the substitutes table."""

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.institutions.model import Institution
from registry.records import RecordMixin

# Exact on PostgreSQL; SQLite keeps NUMERIC as a double, which orders and compares amounts
# exactly while they stay within 15 significant digits (the schema allows 11 + 4).
Amount = Numeric(18, 4)


class Reagent(RecordMixin, db.Model):
    __tablename__ = "reagents"
    __extra_indexes__ = (
        UniqueConstraint("supplier_id", "catalog_number", name="uq_reagents_catalog_number"),
        # Keyset paging needs the sort columns right after the equality filters, id last.
        Index("ix_reagents_category", "category", "updated_at", "id"),
        Index("ix_reagents_category_price", "category", "price_currency", "price_amount", "id"),
        Index("ix_reagents_price", "price_currency", "price_amount", "id"),
        Index("ix_reagents_registration", "registration_valid_until"),
        Index("ix_reagents_category_registration", "category", "registration_valid_until"),
    )

    supplier_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    # The supplier's country, copied here so that filters and facets need no join.
    supplier_country: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(32))
    catalog_number: Mapped[str] = mapped_column(String(64))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    availability: Mapped[str | None] = mapped_column(String(16))
    registration_valid_until: Mapped[date | None] = mapped_column(Date)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    price_amount: Mapped[Decimal | None] = mapped_column(Amount)


class ReagentSubstitute(db.Model):
    """An imported product a listing replaces; a table of its own for filters and statistics."""

    __tablename__ = "reagent_substitutes"
    __table_args__ = (
        Index("ix_reagent_substitutes_manufacturer", "manufacturer_key", "reagent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    reagent_id: Mapped[str] = mapped_column(
        ForeignKey("reagents.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(300))
    manufacturer: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    manufacturer_key: Mapped[str] = mapped_column(Text)  # folded: the filter ignores case


@event.listens_for(Institution, "after_update")
def _supplier_moved(_mapper, connection, institution: Institution) -> None:
    """Keep reagents' copy of their supplier's country true when the supplier changes it."""
    if inspect(institution).attrs.country.history.has_changes():
        connection.execute(
            update(Reagent)
            .where(Reagent.supplier_id == institution.id)
            .values(supplier_country=institution.country)
        )
