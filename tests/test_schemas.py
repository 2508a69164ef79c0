"""Body schemas load as marshmallow's own Schema would: BodySchema changes the speed only."""

import json
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema

from registry.institutions.api import institutions
from schemas.body import BodySchema
from tests.builders import institution
from tests.test_lifecycle import FULL_BODIES

BODIES = {
    **FULL_BODIES,
    "institution": (
        institutions,
        institution(
            district="borisov",
            city="Минск",
            identifiers=[{"scheme": "by_unp", "value": " 600122610 "}],
            specialties=["tcm"],
            email="Info@Example.BY",
            phone="8 017 543-42-22",
            website="https://example.by",
        ),
    ),
}
SAMPLES = [(resource.schema, body) for resource, body in BODIES.values()]


def _paths(value, path=()):
    """Every place in a body a mutation can touch: each key and each list item, nested too."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _leaves(value):
    if isinstance(value, dict):
        for inner in value.values():
            yield from _leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner)
    else:
        yield value


# Values that some field takes (a date, a country, a UUID …) as well as any JSON at all.
KNOWN = sorted({json.dumps(leaf) for _, body in SAMPLES for leaf in _leaves(body)})
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
VALUES = st.sampled_from(KNOWN).map(json.loads) | JSON | st.sampled_from(["", " ", "x" * 301])


@st.composite
def bodies(draw):
    """A schema, and a full valid body of it changed in a few places (or not at all)."""
    schema, body = draw(st.sampled_from(SAMPLES))
    body = json.loads(json.dumps(body))
    for _ in range(draw(st.integers(0, 3))):
        *parents, last = draw(st.sampled_from([p for p in _paths(body) if p]))
        holder = body
        for step in parents:
            holder = holder[step]
        change = draw(st.sampled_from(["delete", "replace", "add"]))
        if change == "delete" and isinstance(holder, dict):
            del holder[last]
        elif change == "add" and isinstance(holder, dict):
            holder[draw(st.sampled_from(["unknown", "id", "version", "en"]))] = draw(VALUES)
        else:
            holder[last] = draw(VALUES)
    return schema, body


def _outcome(schema: Schema, body) -> str:
    """What a load gives, as text: the loaded body or the error, in their key order."""
    try:
        return "loaded " + json.dumps(schema.load(body), default=str)
    except Exception as error:  # noqa: BLE001 - whatever it is, both must give the same
        messages = getattr(error, "messages", None)
        return f"{type(error).__name__} {json.dumps(messages, default=str) or error}"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_a_body_schema_loads_what_marshmallows_own_load_gives(case):
    schema, body = case
    fast = _outcome(schema, body)
    with mock.patch.object(BodySchema, "_deserialize", Schema._deserialize):
        assert _outcome(schema, body) == fast


@pytest.mark.parametrize("schema, body", SAMPLES, ids=BODIES)
def test_every_sample_body_is_valid(schema, body):
    """The property test above starts from these: each must load as it is."""
    assert _outcome(schema, body).startswith("loaded ")
