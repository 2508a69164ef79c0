"""Reagent rules that need the database: a real supplier, one catalog number per supplier."""

from sqlalchemy import select

from registry.errors import ApiError, field_error
from registry.extensions import db
from registry.institutions.model import Institution
from registry.reagents.model import Reagent
from registry.records.bulk import among, batches
from registry.records.declaration import natural_keys_checked
from registry.records.links import held_or_read, identity_key


def supplier_of(body: dict) -> Institution:
    """The supplying institution, or a 422 naming supplier_id (asked for twice a listing: its
    rules, its columns)."""
    supplier = held_or_read(Institution, body["supplier_id"])
    if supplier is None:
        raise field_error("supplier_id", "No institution with this id.")
    return supplier


def suppliers_of(bodies: list[dict]) -> None:
    """Load in one query the suppliers of many bodies that the session does not hold yet:
    supplier_of() then finds each without a query of its own."""
    held = db.session.identity_map
    wanted = {body["supplier_id"] for body in bodies}
    missing = [i for i in wanted if identity_key(Institution, i) not in held]
    for batch in batches(missing):
        db.session.scalars(select(Institution).where(among(Institution.id, batch))).all()


def listing_rules(body: dict, record: Reagent | None) -> None:
    """422 without a real supplier; 409 when the supplier already lists this catalog number."""
    supplier = supplier_of(body)
    if natural_keys_checked():
        return  # the import matched every row by supplier + catalog number already, in bulk
    holder = db.session.scalar(
        select(Reagent.id).where(
            Reagent.supplier_id == supplier.id,
            Reagent.catalog_number == body["catalog_number"],
        )
    )
    if holder is not None and (record is None or holder != record.id):
        raise ApiError(
            409,
            f"This supplier already lists catalog number {body['catalog_number']} "
            f"(reagent {holder}).",
            errors=[{"field": "catalog_number", "message": "Already listed by this supplier."}],
            title="Duplicate catalog number",
        )
