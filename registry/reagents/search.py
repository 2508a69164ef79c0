"""Procurement search: registration status against today, filters, price sorts and facets."""

import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields
from sqlalchemy import ColumnElement, Select, case, func, select

from registry import reference
from registry.errors import field_error
from registry.extensions import db
from registry.reagents.model import Reagent, ReagentSubstitute
from registry.records import Filter
from registry.search.text import fold
from schemas.common import Country, Id, code, text
from schemas.reagents import AMOUNT_RE, Currency

MINSK = ZoneInfo("Europe/Minsk")
EXPIRING_DAYS = 90


_today: tuple[int, date] = (0, date.min)


def today() -> date:
    """Today's date in Minsk: what registration status is measured against."""
    global _today
    second = int(time.time())
    if _today[0] != second:  # a page of records asks fifty times within one second
        _today = (second, datetime.now(MINSK).date())
    return _today[1]


def registration_status(registration: dict | None, on: date) -> str:
    if not registration:
        return "unregistered"
    valid_until = date.fromisoformat(registration["valid_until"])
    if valid_until < on:
        return "expired"
    return "expiring" if valid_until <= on + timedelta(days=EXPIRING_DAYS) else "valid"


def present(doc: dict, role: str) -> dict:
    """The record as read: registration_status computed for today."""
    return {**doc, "registration_status": registration_status(doc.get("registration"), today())}


def etag_suffix() -> str:
    # The status moves with the calendar, so yesterday's copy is not today's.
    return today().strftime("%Y%m%d")


# The same rule as registration_status(), in SQL against the stored date: exact with no
# nightly job, and each condition is a range on an indexed column.
_until = Reagent.registration_valid_until


def _status_condition(status: str, on: date) -> ColumnElement:
    soon = on + timedelta(days=EXPIRING_DAYS)
    if status == "unregistered":
        return _until.is_(None)
    if status == "expired":
        return _until < on
    return _until.between(on, soon) if status == "expiring" else _until > soon


@lru_cache(maxsize=2)  # one expression a day: building it costs more than the query using it
def status_column(on: date) -> ColumnElement:
    """registration_status as a SQL expression (lists, statistics)."""
    return case(
        *((_status_condition(s, on), s) for s in ("unregistered", "expired", "expiring")),
        else_="valid",
    )


class PriceBound(fields.String):
    """price_min / price_max: an amount such as 12.50, meaningful only within one currency."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": AMOUNT_RE.pattern, "example": "12.50"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not data.get("currency"):
            raise ValidationError("Give currency=… too: prices in different currencies differ.")
        if not AMOUNT_RE.match(value):
            raise ValidationError("Not an amount ≥ 0 such as 12.50.")
        return Decimal(value)


def price_sort(args: dict) -> list[ColumnElement]:
    if not args.get("currency"):
        raise field_error("sort", "Sorting by price needs currency=… (BYN, CNY, USD, …).")
    return [Reagent.price_amount]


def _equals(column):
    return lambda stmt, value: stmt.where(column == value)


def _substituting(stmt: Select, manufacturer: str) -> Select:
    listings = select(ReagentSubstitute.reagent_id).where(
        ReagentSubstitute.manufacturer_key == fold(manufacturer)
    )
    return stmt.where(Reagent.id.in_(listings))


FILTERS = {
    "category": Filter(code(reference.REAGENT_CATEGORIES), _equals(Reagent.category)),
    "supplier_id": Filter(Id(), _equals(Reagent.supplier_id)),
    "supplier_country": Filter(Country(), _equals(Reagent.supplier_country)),
    "origin_country": Filter(Country(), _equals(Reagent.origin_country)),
    "registration_status": Filter(
        code(reference.REGISTRATION_STATUSES),
        lambda stmt, value: stmt.where(_status_condition(value, today())),
        bound=False,  # each status is another range of dates
    ),
    "availability": Filter(code(reference.REAGENT_AVAILABILITY), _equals(Reagent.availability)),
    "substitutes_manufacturer": Filter(
        text(), _substituting, "Manufacturer of a replaced product, any case", bound=False
    ),
    "currency": Filter(Currency(), _equals(Reagent.price_currency), "Priced in this currency"),
    "price_min": Filter(
        PriceBound(), lambda stmt, v: stmt.where(Reagent.price_amount >= v), "Needs currency"
    ),
    "price_max": Filter(
        PriceBound(), lambda stmt, v: stmt.where(Reagent.price_amount <= v), "Needs currency"
    ),
}

# A facet is a column to group by, or (registration status, None) a count per status.
FACETS = {
    "category": Reagent.category,
    "registration_status": None,
    "origin_country": Reagent.origin_country,
    "availability": Reagent.availability,
    "currency": Reagent.price_currency,
    "supplier_country": Reagent.supplier_country,
}


class FacetNames(fields.String):
    """A comma-separated list of facet names."""

    def _deserialize(self, value, attr, data, **kwargs):
        names = [n.strip() for n in super()._deserialize(value, attr, data, **kwargs).split(",")]
        unknown = [n for n in names if n not in FACETS]
        if unknown:
            raise ValidationError(f"Unknown facet {unknown[0]!r}; one of {', '.join(FACETS)}.")
        return list(dict.fromkeys(names))


def _status_counts(matching: Select) -> dict[str, int]:
    on = today()
    statuses = list(reference.REGISTRATION_STATUSES)
    # One range count per status: each reads only its part of an index on the date.
    counts = [
        matching.with_only_columns(func.count()).where(_status_condition(s, on)).scalar_subquery()
        for s in statuses
    ]
    row = db.session.execute(select(*counts)).one()
    return dict(zip(statuses, row, strict=True))


def _ordered(found) -> dict[str, int]:
    present = ((value, n) for value, n in found if value is not None and n)
    return dict(sorted(present, key=lambda r: (-r[1], r[0])))


def facet_counts(matching: Select, names: list[str], args: dict) -> dict[str, dict[str, int]]:
    """Per facet, value -> how many matching records have it (all of them, not the page).

    A facet whose filter is set needs no query: every match has that value, so its count is
    the number of matches, which the other facets' counts add up to (None counted too).
    """
    counts, total = {}, None
    pinned = [name for name in names if args.get(name) is not None]
    for name in names:
        if name in pinned:
            continue
        column = FACETS[name]
        if column is None:
            found = list(_status_counts(matching).items())
        else:
            found = db.session.execute(
                matching.with_only_columns(column, func.count()).group_by(column)
            ).all()
        total = sum(n for _, n in found)
        counts[name] = _ordered(found)
    for name in pinned:
        if total is None:
            total = db.session.scalar(matching.with_only_columns(func.count()))
        counts[name] = _ordered([(args[name], total)])
    return {name: counts[name] for name in names}
