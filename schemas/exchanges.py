"""Exchange bodies (contract §3, Exchanges)."""

from marshmallow import ValidationError, validates_schema

from registry import reference
from schemas.common import LONG_MAX, Date, Id, RecordSchema, bounded_list, code, text
from schemas.cooperation import ids


class ExchangeSchema(RecordSchema):
    kind = code(reference.EXCHANGE_KINDS, required=True)
    title = text(required=True)
    summary = text(LONG_MAX)
    starts_on = Date(required=True)
    ends_on = Date(metadata={"description": "Not before starts_on; absent for one day"})
    location = text()
    institution_ids = ids(min_items=1, required=True)
    contact_ids = ids()
    partnership_id = Id()
    outcomes = bounded_list(text(LONG_MAX))
    status = code(reference.EXCHANGE_STATUSES, load_default="planned")

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            raise ValidationError("Not before starts_on.", "ends_on")


exchange_schema = ExchangeSchema()
