"""Partnership bodies (contract §3, Partnerships)."""

from marshmallow import ValidationError, fields, validates_schema

from registry import reference
from schemas.body import BodySchema
from schemas.common import LONG_MAX, Date, Id, RecordSchema, code, text
from schemas.cooperation import codes

# From `signed` on a partnership rests on an agreement; a terminated one keeps its own.
AGREEMENT_REQUIRED = ("signed", "active", "suspended")


class AgreementSchema(BodySchema):
    number = text(required=True)
    signed_on = Date(required=True)
    valid_until = Date()

    @validates_schema
    def valid_after_signing(self, data, **kwargs):
        signed_on, valid_until = data.get("signed_on"), data.get("valid_until")
        if signed_on and valid_until and valid_until < signed_on:
            raise ValidationError("Not before signed_on.", "valid_until")


class PartnershipSchema(RecordSchema):
    minsk_institution_id = Id(
        required=True, metadata={"description": "An institution in the Minsk region (BY-MI)"}
    )
    chongqing_institution_id = Id(
        required=True, metadata={"description": "An institution in Chongqing (CN-CQ)"}
    )
    areas = codes(reference.PARTNERSHIP_AREAS, min_items=1, required=True)
    status = code(reference.PARTNERSHIP_STATUSES, load_default="proposed")
    agreement = fields.Nested(AgreementSchema, metadata={"description": "Required from signed on"})
    notes = text(LONG_MAX)

    @validates_schema
    def agreement_when_signed(self, data, **kwargs):
        if data.get("status") in AGREEMENT_REQUIRED and not data.get("agreement"):
            raise ValidationError(
                f"A {data['status']} partnership needs its agreement "
                "(number, signed_on, valid_until).",
                "agreement",
            )


partnership_schema = PartnershipSchema()
