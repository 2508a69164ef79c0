"""Fields and rules every resource schema shares (contract §3 limits)."""

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields, validate, validates_schema

from registry import reference
from schemas.body import BodySchema

NAME_MAX = 300
CODE_MAX = 64
SHORT_MAX = 300
ADDRESS_MAX = 500
LONG_MAX = 5000
LIST_MAX = 50
INT_MAX = 1_000_000
LANGUAGES = ("ru", "be", "en", "zh")


class StrictBoolean(fields.Boolean):
    """true or false only: "yes" and 1 are not booleans here."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def text(max_length: int = SHORT_MAX, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def count(**kwargs) -> fields.Integer:
    """An integer from 0 to 1,000,000 (contract §3)."""
    return fields.Integer(strict=True, validate=validate.Range(0, INT_MAX), **kwargs)


def code(choices, **kwargs) -> fields.String:
    """A value from one of the reference code lists."""
    return fields.String(
        validate=validate.OneOf(list(choices)),
        metadata={"enum": list(choices)},
        **kwargs,
    )


def bounded_list(inner: fields.Field, **kwargs) -> fields.List:
    return fields.List(inner, validate=validate.Length(max=LIST_MAX), **kwargs)


def tags(choices=None, **kwargs) -> fields.List:
    inner = code(choices) if choices is not None else text(CODE_MAX)
    return bounded_list(inner, **kwargs)


class NamesSchema(BodySchema):
    """A name in up to four languages; at least one."""

    ru = text(NAME_MAX)
    be = text(NAME_MAX)
    en = text(NAME_MAX)
    zh = text(NAME_MAX)

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not any(data.get(lang) for lang in LANGUAGES):
            raise ValidationError("Give the name in at least one of ru, be, en, zh.")


def names(**kwargs) -> fields.Nested:
    return fields.Nested(NamesSchema, **kwargs)


def first_name(value: dict | None) -> list[str | None]:
    value = value or {}
    return [value.get(lang) for lang in LANGUAGES]


class Email(fields.String):
    """An e-mail address, checked for syntax (not deliverability) and normalised."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=SHORT_MAX), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValidationError(f"Not a valid e-mail address: {error}") from None


def e164(value: str, region: str | None, field: str = "phone") -> str:
    """A phone number as E.164; national numbers are read in the record's country."""
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        hint = "" if region else " in international form (+375 …, +86 …)"
        raise ValidationError(f"Not a valid phone number{hint}.", field_name=field)
    if number.extension:  # E.164 has no room for it: refused rather than silently dropped
        raise ValidationError(
            f"Give the number without its extension ({number.extension}): E.164 holds none.",
            field_name=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(fields.String):
    """A phone number; the schema turns it into E.164 once it knows the country."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=40), **kwargs)


class ListedCode(fields.String):
    """A code that one of the reference lists must hold; each subclass names its list."""

    description = ""
    message = ""

    @staticmethod
    def listed(value: str) -> bool:
        raise NotImplementedError

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": self.description}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not self.listed(value):
            raise ValidationError(self.message)
        return value


class Country(ListedCode):
    """ISO 3166-1 alpha-2."""

    description = "ISO 3166-1 alpha-2, e.g. BY, CN"
    message = "Not an ISO 3166-1 alpha-2 country code (e.g. BY, CN)."
    listed = staticmethod(reference.is_country)


class Region(ListedCode):
    """An ISO 3166-2 subdivision code of any country (a filter: the body checks the country)."""

    description = "ISO 3166-2, e.g. BY-MI, CN-CQ"
    message = "Not an ISO 3166-2 subdivision code (e.g. BY-MI, CN-CQ)."
    listed = staticmethod(reference.is_subdivision)


class District(ListedCode):
    """A district code of some region's list (a filter: the body checks the region)."""

    description = "A district code from /reference"
    message = "Not a district code of any region (see /api/v1/reference)."
    listed = staticmethod(reference.is_any_district)


def website() -> fields.URL:
    return fields.URL(schemes={"http", "https"}, validate=validate.Length(max=SHORT_MAX))


DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Date(fields.Date):
    """YYYY-MM-DD exactly, a day that exists; loaded as that text, as a body keeps it (two such
    days compare as text as they do as dates).

    Every field of a body schema loads to the JSON value it dumps to, so that a loaded body
    is the stored one without a dump (tests/test_lifecycle.py holds the schemas to that).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not DATE_RE.match(value):
            raise ValidationError("Not a date in the form YYYY-MM-DD.")
        super()._deserialize(value, attr, data, **kwargs)
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Day(Date):
    """A YYYY-MM-DD query argument, loaded as a date for the query."""

    def _deserialize(self, value, attr, data, **kwargs):
        return date.fromisoformat(super()._deserialize(value, attr, data, **kwargs))


class Id(fields.String):
    """A record id (a UUID made by the server)."""

    UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).lower()
        if not self.UUID_RE.match(value):
            raise ValidationError("Not a record id (a UUID).")
        return value


class RecordSchema(BodySchema):
    """Server-set fields every record shows."""

    id = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)
