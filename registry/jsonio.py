"""JSON in and out through orjson."""

from decimal import Decimal

import orjson
from flask import Response
from flask.json.provider import JSONProvider

OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_bytes(value) -> bytes:
    return orjson.dumps(value, default=_default, option=OPTIONS)


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider on orjson: several times faster than the standard library."""

    def dumps(self, obj, **kwargs) -> str:
        return dumps_bytes(obj).decode()

    def loads(self, s, **kwargs):
        return orjson.loads(s)

    def response(self, *args, **kwargs) -> Response:
        value = args[0] if len(args) == 1 else (args or kwargs)
        return Response(dumps_bytes(value), mimetype="application/json")


def json_response(value, status: int = 200) -> Response:
    return Response(dumps_bytes(value), status=status, mimetype="application/json")
