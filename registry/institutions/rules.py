"""Institution rules that need the database: identifiers belong to one institution."""

from sqlalchemy import select

from registry.errors import ApiError
from registry.extensions import db
from registry.institutions.model import InstitutionIdentifier
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
