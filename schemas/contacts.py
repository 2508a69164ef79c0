"""Contact bodies (contract §3, Contacts)."""

from datetime import UTC, date, datetime, timedelta

from marshmallow import ValidationError, fields, post_load

from registry import reference
from schemas.body import BodySchema
from schemas.common import (
    Date,
    Email,
    Id,
    Phone,
    RecordSchema,
    StrictBoolean,
    e164,
    names,
    text,
)
from schemas.cooperation import codes, distinct_list


class Language(fields.String):
    """ISO 639-1, e.g. ru, be, zh."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).lower()
        if not reference.is_language(value):
            raise ValidationError("Not an ISO 639-1 language code (e.g. ru, be, en, zh).")
        return value


class MessengersSchema(BodySchema):
    wechat = text()
    telegram = text()


def _not_ahead(day: str) -> None:
    # The day must have begun somewhere (UTC+14): a consent is not recorded in advance.
    if date.fromisoformat(day) > (datetime.now(UTC) + timedelta(hours=14)).date():
        raise ValidationError("A consent cannot be recorded on a day still to come.")


class ConsentSchema(BodySchema):
    given = StrictBoolean(required=True)
    recorded_on = Date(validate=_not_ahead)


class ContactSchema(RecordSchema):
    institution_id = Id(required=True)
    full_name = names(required=True)
    position = text()
    roles = codes(reference.CONTACT_ROLES)
    languages = distinct_list(Language())
    email = Email()
    phone = Phone(metadata={"description": "E.164, given in international form (+375 …, +86 …)"})
    messengers = fields.Nested(MessengersSchema)
    consent = fields.Nested(
        ConsentSchema,
        metadata={
            "description": "Without given: true, only admin and clerk keys see e-mail, "
            "phone and messengers"
        },
    )

    @post_load
    def phone_e164(self, data, **kwargs):
        # A person may be reached in any country, so no national form is guessed.
        if data.get("phone"):
            data["phone"] = e164(data["phone"], None)
        return data


contact_schema = ContactSchema()
