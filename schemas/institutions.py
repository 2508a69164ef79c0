"""Institution bodies (contract §3, Institutions)."""

from marshmallow import ValidationError, fields, post_load, validates_schema
from stdnum.exceptions import ValidationError as StdnumError

from registry import reference
from registry.identifiers import normalise_identifier
from schemas.body import BodySchema
from schemas.common import (
    ADDRESS_MAX,
    CODE_MAX,
    Country,
    Email,
    Phone,
    RecordSchema,
    bounded_list,
    code,
    e164,
    names,
    tags,
    text,
    website,
)


class IdentifierSchema(BodySchema):
    scheme = code(reference.IDENTIFIER_SCHEMES, required=True)
    value = text(CODE_MAX, required=True)

    @post_load
    def normalised(self, data, **kwargs):
        try:
            data["value"] = normalise_identifier(data["scheme"], data["value"])
        except StdnumError as error:
            raise ValidationError(str(error), field_name="value") from None
        return data


class InstitutionSchema(RecordSchema):
    names = names(required=True)
    kind = code(reference.INSTITUTION_KINDS, required=True)
    country = Country(required=True)
    region = text(16, required=True, metadata={"description": "ISO 3166-2, e.g. BY-MI, CN-CQ"})
    district = text(64, metadata={"description": "A district code of the region (/reference)"})
    city = text()
    address = text(ADDRESS_MAX)
    identifiers = bounded_list(fields.Nested(IdentifierSchema))
    specialties = tags()
    email = Email()
    phone = Phone()
    website = website()
    status = code(reference.INSTITUTION_STATUSES, load_default="active")

    @validates_schema
    def places(self, data, **kwargs):
        country, region = data.get("country"), data.get("region")
        if country and region and not reference.is_region(country, region):
            raise ValidationError(
                f"Not an ISO 3166-2 subdivision of {country} (e.g. BY-MI, CN-CQ).", "region"
            )
        district = data.get("district")
        if district and region and not reference.is_district(region, district):
            listed = reference.districts_of(region)
            hint = "see /api/v1/reference" if listed else "this region has no district list"
            raise ValidationError(f"Not a district of {region} ({hint}).", "district")

    @validates_schema
    def unique_identifiers(self, data, **kwargs):
        seen = set()
        for index, item in enumerate(data.get("identifiers") or []):
            pair = (item["scheme"], item["value"])
            if pair in seen:
                raise ValidationError("Listed twice.", f"identifiers.{index}.value")
            seen.add(pair)

    @post_load
    def phone_e164(self, data, **kwargs):
        if data.get("phone"):
            data["phone"] = e164(data["phone"], data.get("country"))
        return data


institution_schema = InstitutionSchema()
