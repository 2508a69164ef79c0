"""Institution rules that need the database: identifiers belong to one institution, and a
side of a partnership stays where that partnership needs it."""

from sqlalchemy import select

from registry.errors import ApiError
from registry.extensions import db
from registry.institutions.model import InstitutionIdentifier
from registry.partnerships.model import Partnership
from registry.partnerships.rules import SIDES
from registry.records.declaration import natural_keys_checked


def identifiers_free(body: dict, record) -> None:
    """409 when another institution already holds one of these identifiers."""
    if natural_keys_checked():
        return  # the import matched every row by its identifiers already, in bulk
    for index, item in enumerate(body.get("identifiers") or []):
        holder = db.session.scalar(
            select(InstitutionIdentifier.institution_id).where(
                InstitutionIdentifier.scheme == item["scheme"],
                InstitutionIdentifier.value == item["value"],
            )
        )
        if holder is not None and (record is None or holder != record.id):
            raise ApiError(
                409,
                f"{item['scheme']} {item['value']} already belongs to institution {holder}.",
                errors=[{"field": f"identifiers.{index}.value", "message": "Already registered."}],
                title="Duplicate identifier",
            )


def sides_kept(body: dict, record) -> None:
    """409 when a move to another region would leave a partnership that is not terminated
    with a side outside its region (a Minsk side moved to Minsk city, BY-HM)."""
    if record is None or body["region"] == record.region:
        return
    for field, (region, where) in SIDES.items():
        if body["region"] == region:
            continue
        holder = db.session.scalar(
            select(Partnership.id)
            .where(getattr(Partnership, field) == record.id, Partnership.status != "terminated")
            .limit(1)
        )
        if holder is not None:
            raise ApiError(
                409,
                f"The institution is a side of partnership {holder}, which needs it in {where}; "
                "terminate that partnership first.",
                errors=[{"field": "region", "message": f"Partnership {holder} needs {region}."}],
                title="Region needed by a partnership",
            )


def check_institution(body: dict, record) -> None:
    identifiers_free(body, record)
    sides_kept(body, record)
