"""Reagent listing bodies (contract §3, Reagent listings)."""

import re
import unicodedata
from decimal import Decimal

from marshmallow import ValidationError, fields, post_load

from registry import reference
from schemas.body import BodySchema
from schemas.common import (
    CODE_MAX,
    Country,
    Date,
    Id,
    ListedCode,
    RecordSchema,
    bounded_list,
    code,
    count,
    names,
    text,
)

AMOUNT_RE = re.compile(r"^\d{1,11}(\.\d+)?$")
TNVED_RE = re.compile(r"^\d{10}$")


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount written with exactly the currency's minor digits ("12.5" BYN -> "12.50")."""
    return f"{amount:.{reference.currency_minor_digits(currency)}f}"


class Amount(fields.String):
    """A decimal amount ≥ 0 as a JSON string, never a number (a float would round it)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('Give the amount as a string such as "123.45", not a number.')
        if not AMOUNT_RE.match(value):
            raise ValidationError(
                "Not an amount ≥ 0 such as 123.45 (digits, at most 11 before the point)."
            )
        return value


class Currency(ListedCode):
    """ISO 4217 alphabetic code of a currency a price may use."""

    description = "ISO 4217, e.g. BYN, CNY, USD"
    message = "Not an ISO 4217 currency code (e.g. BYN, CNY, USD)."
    listed = staticmethod(reference.is_currency)


class TnvedCode(fields.String):
    """EAEU commodity code (ТН ВЭД ЕАЭС): ten digits; the usual spaces ("3822 19 000 0") go."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = "".join(super()._deserialize(value, attr, data, **kwargs).split())
        if not TNVED_RE.match(value):
            raise ValidationError("Not a commodity code of 10 digits (e.g. 3822190000).")
        # Digits of any script (full-width ３８２２…) are stored as the ASCII code.
        return "".join(str(unicodedata.decimal(digit)) for digit in value)


class PriceSchema(BodySchema):
    amount = Amount(required=True, metadata={"example": "123.45"})
    currency = Currency(required=True)

    @post_load
    def exact_digits(self, data, **kwargs):
        digits = reference.currency_minor_digits(data["currency"])
        fraction = data["amount"].partition(".")[2]
        if len(fraction) > digits:
            raise ValidationError(
                f"{data['currency']} allows at most {digits} digits after the point.", "amount"
            )
        data["amount"] = format_amount(Decimal(data["amount"]), data["currency"])
        return data


class RegistrationSchema(BodySchema):
    """The Belarus Ministry of Health registration certificate."""

    number = text(CODE_MAX, required=True)
    valid_until = Date(required=True)


class SubstituteSchema(BodySchema):
    """An imported product this listing replaces."""

    product = text(required=True)
    manufacturer = text(required=True)
    country = Country()


class ReagentSchema(RecordSchema):
    supplier_id = Id(required=True, metadata={"description": "An institution's id"})
    names = names(required=True)
    category = code(reference.REAGENT_CATEGORIES, required=True)
    catalog_number = text(CODE_MAX, required=True)
    tnved_code = TnvedCode(metadata={"description": "EAEU commodity code, 10 digits"})
    origin_country = Country()
    registration = fields.Nested(RegistrationSchema, allow_none=True)
    registration_status = fields.String(
        dump_only=True,
        metadata={
            "enum": list(reference.REGISTRATION_STATUSES),
            "description": "Computed against today in Minsk (expiring: at most 90 days ahead)",
        },
    )
    substitutes = bounded_list(fields.Nested(SubstituteSchema))
    price = fields.Nested(PriceSchema, allow_none=True)
    pack = count()
    min_order_qty = count()
    lead_time_days = count()
    availability = code(reference.REAGENT_AVAILABILITY)


reagent_schema = ReagentSchema()
