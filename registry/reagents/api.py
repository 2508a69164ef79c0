"""Reagent listings, declared on the shared record lifecycle."""

from datetime import date
from decimal import Decimal

from registry.reagents import search
from registry.reagents.model import Reagent, ReagentSubstitute
from registry.reagents.rules import listing_rules, supplier_of, suppliers_of
from registry.records import Children, NaturalKey, Resource
from registry.records.listing import filtered
from registry.search.index import indexed_search
from registry.search.text import fold
from schemas.common import first_name
from schemas.reagents import reagent_schema


def _columns(body: dict) -> dict:
    price = body.get("price")
    registration = body.get("registration")
    supplier = supplier_of(body)
    return {
        "supplier_id": body["supplier_id"],
        "supplier_country": supplier.country,
        "category": body["category"],
        "catalog_number": body["catalog_number"],
        "origin_country": body.get("origin_country"),
        "availability": body.get("availability"),
        "registration_valid_until": (
            date.fromisoformat(registration["valid_until"]) if registration else None
        ),
        "price_currency": price["currency"] if price else None,
        "price_amount": Decimal(price["amount"]) if price else None,
    }


def _searchable(body: dict) -> list[str | None]:
    substitutes = body.get("substitutes") or []
    return [
        *first_name(body["names"]),
        body["catalog_number"],
        *(item["product"] for item in substitutes),
        *(item["manufacturer"] for item in substitutes),
    ]


def _substitute_rows(body: dict) -> list[dict]:
    return [
        {
            "product": item["product"],
            "manufacturer": item["manufacturer"],
            "country": item.get("country"),
            "manufacturer_key": fold(item["manufacturer"]),
        }
        for item in body.get("substitutes") or []
    ]


def _facets(args: dict) -> dict:
    if not args.get("facets"):
        return {}
    return {"facets": search.facet_counts(filtered(reagents, args), args["facets"], args)}


reagents = Resource(
    name="reagents",
    model=Reagent,
    schema=reagent_schema,
    write="write_core",
    description="Import-substituting medical reagents, their suppliers, registrations, prices.",
    columns=_columns,
    names=lambda body: first_name(body["names"]),
    searchable=_searchable,
    filters=search.FILTERS,
    sorts={"price": search.price_sort},
    children=[Children(ReagentSubstitute, "reagent_id", _substitute_rows)],
    rules=listing_rules,
    preload=suppliers_of,
    natural_key=NaturalKey(
        keys=lambda body: [(body["supplier_id"], body["catalog_number"])],
        columns=(Reagent.supplier_id, Reagent.catalog_number),
        owner=Reagent.id,
        field="catalog_number",
    ),
    present=search.present,
    computed_sql=lambda: {"registration_status": search.status_column(search.today())},
    computed=("registration_status",),
    etag_suffix=search.etag_suffix,
    search=indexed_search(Reagent),
    list_extra={
        "facets": search.FacetNames(
            metadata={"description": f"Comma-separated: {', '.join(search.FACETS)}"}
        )
    },
    list_extras=_facets,
)
