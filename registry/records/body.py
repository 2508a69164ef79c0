"""Reading request bodies: content type, size, JSON, and string normalisation."""

import json
import unicodedata

import orjson
from flask import current_app, request
from marshmallow import Schema, fields

from registry.errors import ApiError, field_error

JSON_TYPES = ("application/json",)
PATCH_TYPES = ("application/json", "application/merge-patch+json")
MAX_DEPTH = 32
NUL_REFUSED = "NUL characters are not allowed."


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes):
    """JSON text to Python; integers beyond 64 bits survive so validation can name the field."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        try:
            value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            # orjson refused a lone surrogate escape (\ud800) too: it is no text to store.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
            return value
        except (UnicodeError, ValueError, RecursionError):
            raise ApiError(400, f"The body is not valid UTF-8 JSON: {error}") from None


def require_content_type(allowed: tuple[str, ...]) -> None:
    mimetype = request.mimetype
    if mimetype not in allowed:
        raise ApiError(
            415,
            f"Send the body as {' or '.join(allowed)}; got {mimetype or 'no Content-Type'}.",
        )
    charset = request.mimetype_params.get("charset", "utf-8")
    if charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ApiError(415, f"Send the body as UTF-8; got charset={charset}.")


def json_body(allowed: tuple[str, ...] = JSON_TYPES) -> dict:
    """The request's JSON object, or the matching 4xx."""
    require_content_type(allowed)
    limit = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"The body is over the limit of {limit} bytes.")
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise ApiError(413, f"The body is over the limit of {limit} bytes.")
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return data


def nfc_trimmed(text: str) -> str:
    """NFC-normalised, then trimmed (ASCII text is NFC already)."""
    return (text if text.isascii() else unicodedata.normalize("NFC", text)).strip()


def normalise(value, path: str = "", depth: int = 0):
    """Trim and NFC-normalise strings, drop empty strings and nulls; NUL characters are refused."""
    if depth > MAX_DEPTH:
        raise field_error(path or "body", "Nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value:
            raise field_error(path or "body", NUL_REFUSED)
        return nfc_trimmed(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = normalise(item, f"{path}.{key}" if path else str(key), depth + 1)
            if item is not None and item != "":
                out[key] = item
        return out
    if isinstance(value, list):
        items = (normalise(v, f"{path}.{i}", depth + 1) for i, v in enumerate(value))
        return [item for item in items if item is not None and item != ""]
    return value


def unknown_fields(schema: Schema, value, path: str = "") -> list[dict]:
    """Every key of a body that its schema does not know, nested ones too, as 422 entries.

    marshmallow names unknown fields itself, but `normalise` drops null and empty values (an
    absent field, for known ones) before it looks: `{"websit": null}` would pass unseen.
    """
    if not isinstance(value, dict):
        return []
    known = {field.data_key or name: field for name, field in schema.fields.items()}
    found = []
    for key, item in value.items():
        name = f"{path}.{key}" if path else str(key)
        field = known.get(key)
        if field is None:
            found.append({"field": name, "message": "Unknown field."})
            continue
        inner = field.inner if isinstance(field, fields.List) else field
        if not isinstance(inner, fields.Nested):
            continue
        if isinstance(field, fields.List) or inner.many:
            for index, element in enumerate(item if isinstance(item, list) else []):
                found += unknown_fields(inner.schema, element, f"{name}.{index}")
        else:
            found += unknown_fields(inner.schema, item, name)
    return found


def merge_patch(target, patch):
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
