"""Fields the partnership, contact and exchange schemas share: lists without repeats."""

from marshmallow import ValidationError, fields, validate

from schemas.common import LIST_MAX, Id, code


def _distinct(values: list) -> None:
    seen = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ValidationError({index: ["Listed twice."]})
        seen.add(value)


def distinct_list(inner: fields.Field, *, min_items: int = 0, **kwargs) -> fields.List:
    """A list of at most 50 items, none twice (child tables hold one row per item)."""
    length = validate.Length(min=min_items, max=LIST_MAX)
    return fields.List(inner, validate=[length, _distinct], **kwargs)


def codes(choices, **kwargs) -> fields.List:
    return distinct_list(code(choices), **kwargs)


def ids(**kwargs) -> fields.List:
    return distinct_list(Id(), **kwargs)
