"""GET /api/v1/stats: counts by place, kind, status, area, category, and import substitution."""

from collections import defaultdict

from flask import Blueprint, request
from marshmallow import RAISE, Schema
from sqlalchemy import func, select

from registry.auth import requires
from registry.extensions import db
from registry.institutions.model import Institution
from registry.jsonio import json_response
from registry.openapi import document, errors_for, json_content
from registry.partnerships.model import Partnership, PartnershipArea
from registry.reagents.model import Reagent, ReagentSubstitute
from registry.reagents.search import status_column, today
from registry.records.listing import parse_args
from registry.search.text import fold

COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
no_args = Schema.from_dict({}, name="StatsArgs")(unknown=RAISE)


def counts(column) -> dict[str, int]:
    """How many rows have each value of a column, most first."""
    rows = [row for row in db.session.execute(select(column, func.count()).group_by(column))]
    rows = sorted((value, n) for value, n in rows if value is not None)
    return dict(sorted(rows, key=lambda row: -row[1]))


def total(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def institutions() -> dict:
    return {
        "total": total(Institution),
        "by_country": counts(Institution.country),
        "by_region": counts(Institution.region),
        "by_kind": counts(Institution.kind),
        "by_status": counts(Institution.status),
    }


def partnerships() -> dict:
    return {
        "total": total(Partnership),
        "by_status": counts(Partnership.status),
        "by_area": counts(PartnershipArea.area),
    }


def reagents() -> dict:
    status = status_column(today()).label("registration_status")
    return {
        "total": total(Reagent),
        "by_category": counts(Reagent.category),
        "by_registration_status": counts(status),
    }


def import_substitution() -> dict:
    """Distinct imported products (product and manufacturer, case aside) that listings replace.

    `registered`: replaced by at least one listing whose registration is in force today.
    """
    registered = Reagent.registration_valid_until >= today()
    rows = db.session.execute(
        select(
            ReagentSubstitute.product,
            ReagentSubstitute.manufacturer_key,
            Reagent.category,
            registered,
        )
        .join(Reagent, Reagent.id == ReagentSubstitute.reagent_id)
        .distinct()
    )
    products: dict[str, set] = defaultdict(set)
    in_force: dict[str, set] = defaultdict(set)
    for product, manufacturer, category, is_registered in rows:
        key = (fold(product), manufacturer)
        for bucket in (None, category):
            products[bucket].add(key)
            if is_registered:
                in_force[bucket].add(key)

    def section(bucket) -> dict:
        return {
            "products_with_substitute": len(products[bucket]),
            "products_with_registered_substitute": len(in_force[bucket]),
        }

    by_category = {c: section(c) for c in sorted(products, key=str) if c is not None}
    return {**section(None), "by_category": by_category}


def statistics() -> dict:
    return {
        "institutions": institutions(),
        "partnerships": partnerships(),
        "reagents": reagents(),
        "import_substitution": import_substitution(),
    }


def _section(*names: str) -> dict:
    return {
        "type": "object",
        "properties": {"total": {"type": "integer"}, **{name: COUNTS for name in names}},
    }


STATS_SCHEMA = {
    "type": "object",
    "properties": {
        "institutions": _section("by_country", "by_region", "by_kind", "by_status"),
        "partnerships": _section("by_status", "by_area"),
        "reagents": _section("by_category", "by_registration_status"),
        "import_substitution": {
            "type": "object",
            "properties": {
                "products_with_substitute": {"type": "integer"},
                "products_with_registered_substitute": {"type": "integer"},
                "by_category": {"type": "object", "additionalProperties": {"type": "object"}},
            },
        },
    },
}
OPERATIONS = {
    "get": {
        "tags": ["integration"],
        "summary": "Counts by country, region, kind, status, area, category, registration",
        "responses": {
            "200": {"description": "Statistics", "content": json_content(STATS_SCHEMA)},
            **errors_for(401, 403, 422, 429, 503),
        },
    }
}


def register_stats(blueprint: Blueprint) -> None:
    @blueprint.get("/stats")
    @requires("read")
    def stats():
        """Counts of the registry's records, and the import-substitution coverage."""
        parse_args(no_args, request.args)
        return json_response(statistics())

    document("/api/v1/stats", OPERATIONS)
