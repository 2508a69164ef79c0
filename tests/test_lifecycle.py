"""The shared lifecycle on institutions: ETags, merge patch, versions, history, delete."""

import json
from datetime import UTC, datetime

import orjson
import pytest
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from registry.api import RESOURCES
from registry.contacts.api import contacts
from registry.exchanges.api import exchanges
from registry.institutions.api import institutions
from registry.partnerships.api import partnerships
from registry.reagents.api import reagents
from registry.records.lifecycle import load_body, record_state, stored_body_is
from schemas.common import Date
from tests.builders import contact, exchange, institution, partnership, post, reagent

URL = "/api/v1/institutions"


def test_etag_and_conditional_get(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    url = f"{URL}/{rec['id']}"
    response = client.get(url, headers={**keys["clerk"], "If-None-Match": '"1"'})
    assert response.status_code == 304
    assert response.headers["ETag"] == '"1"'
    assert client.get(url, headers={**keys["clerk"], "If-None-Match": '"2"'}).status_code == 200


def test_merge_patch(client, keys):
    rec = post(
        client,
        URL,
        institution(city="Борисов", email="a@example.by", names={"ru": "Старое", "en": "Old"}),
        keys["clerk"],
    )
    url = f"{URL}/{rec['id']}"
    patch = {"names": {"en": "New", "ru": None}, "email": None, "id": "ignored", "version": 99}
    response = client.patch(
        url, json=patch, headers=keys["clerk"], content_type="application/merge-patch+json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["names"] == {"en": "New"}
    assert "email" not in body and body["city"] == "Борисов"
    assert body["version"] == 2 and body["id"] == rec["id"]
    assert response.headers["ETag"] == '"2"'


def test_patch_without_change_keeps_version(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    response = client.patch(f"{URL}/{rec['id']}", json={"kind": rec["kind"]}, headers=keys["clerk"])
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    history = client.get(f"{URL}/{rec['id']}/history", headers=keys["clerk"]).get_json()
    assert len(history["items"]) == 1


def test_patch_validates_and_writes_nothing(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    url = f"{URL}/{rec['id']}"
    response = client.patch(url, json={"kind": "spa", "colour": 1}, headers=keys["clerk"])
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} >= {"colour"}
    assert client.get(url, headers=keys["clerk"]).get_json() == rec


def test_unknown_fields_are_422_even_when_null_or_empty(client, keys):
    rec = post(client, URL, institution(website="https://example.by"), keys["clerk"])
    url = f"{URL}/{rec['id']}"
    for patch, field in [
        ({"websit": None}, "websit"),  # a typo meant to clear `website`
        ({"foo": "  "}, "foo"),
        ({"names": {"fr": None}}, "names.fr"),
        ({"identifiers": [{"scheme": "other", "value": "x", "note": None}]}, "identifiers.0.note"),
    ]:
        response = client.patch(url, json=patch, headers=keys["clerk"])
        assert response.status_code == 422, patch
        assert [e["field"] for e in response.get_json()["errors"]] == [field]
        response = client.post(URL, json={**institution(), **patch}, headers=keys["clerk"])
        assert response.status_code == 422 and field in str(response.get_json()["errors"])
    assert client.get(url, headers=keys["clerk"]).get_json() == rec


def test_if_match(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    url = f"{URL}/{rec['id']}"
    stale = client.patch(url, json={"city": "Слуцк"}, headers={**keys["clerk"], "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert client.get(url, headers=keys["clerk"]).get_json()["version"] == 1
    weak = client.patch(url, json={"city": "Слуцк"}, headers={**keys["clerk"], "If-Match": 'W/"1"'})
    assert weak.status_code == 412  # If-Match compares strongly (RFC 9110)
    fresh = client.patch(url, json={"city": "Слуцк"}, headers={**keys["clerk"], "If-Match": '"1"'})
    assert fresh.status_code == 200
    gone = client.delete(url, headers={**keys["clerk"], "If-Match": '"1"'})
    assert gone.status_code == 412
    assert client.delete(url, headers={**keys["clerk"], "If-Match": '"2"'}).status_code == 204


def test_history_and_delete(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    url = f"{URL}/{rec['id']}"
    client.patch(url, json={"city": "Жодино"}, headers=keys["admin"])
    assert client.delete(url, headers=keys["clerk"]).status_code == 204
    assert client.get(url, headers=keys["clerk"]).status_code == 404
    assert client.delete(url, headers=keys["clerk"]).status_code == 404
    items = client.get(f"{url}/history", headers=keys["procurement"]).get_json()["items"]
    assert [(i["version"], i["action"], i["actor"]) for i in items] == [
        (1, "created", "clerk-tester"),
        (2, "updated", "admin-tester"),
        (3, "deleted", "clerk-tester"),
    ]
    assert items[1]["record"]["city"] == "Жодино" and items[2]["record"] is None
    assert items[0]["at"].endswith("Z")


def test_malformed_and_unknown_ids_are_404(client, keys):
    for url in (
        f"{URL}/not-a-uuid",
        f"{URL}/00000000-0000-4000-8000-000000000000",
        f"{URL}/not-a-uuid/history",
    ):
        response = client.get(url, headers=keys["clerk"])
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_change_feed_and_audit(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    client.patch(f"{URL}/{rec['id']}", json={"city": "Клецк"}, headers=keys["clerk"])
    client.delete(f"{URL}/{rec['id']}", headers=keys["clerk"])
    feed = client.get("/api/v1/changes?since=0", headers=keys["integration"]).get_json()
    assert [(i["resource"], i["id"], i["action"], i["version"]) for i in feed["items"]] == [
        ("institutions", rec["id"], "created", 1),
        ("institutions", rec["id"], "updated", 2),
        ("institutions", rec["id"], "deleted", 3),
    ]
    assert feed["next_since"] == feed["items"][-1]["seq"]
    empty = client.get(f"/api/v1/changes?since={feed['next_since']}", headers=keys["admin"])
    assert empty.get_json() == {"items": [], "next_since": feed["next_since"]}
    audit = client.get("/api/v1/audit", headers=keys["admin"]).get_json()
    assert [i["action"] for i in audit["items"]] == ["deleted", "updated", "created"]
    assert audit["items"][0]["actor"] == "clerk-tester"
    for bad in ("since=-1", "since=abc", "limit=0"):
        assert client.get(f"/api/v1/changes?{bad}", headers=keys["admin"]).status_code == 422


@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "str"])
def test_a_stored_body_is_compared_as_the_text_record_state_writes(as_text):
    body = institution(
        names={"ru": 'Больница ,"version":1,"created_at":"x" \\ "№1"', "en": "Hospital"},
        city="Минск",
        specialties=["tcm", "a;b"],
        status="active",
    )
    now = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
    rid = "00000000-0000-4000-8000-000000000001"
    state = record_state(institutions, body, record_id=rid, version=3, created_at=now, now=now)
    stored = orjson.dumps(state["doc"])
    stored = stored.decode() if as_text else stored
    assert stored_body_is(stored, rid, body)
    assert not stored_body_is(stored, "00000000-0000-4000-8000-000000000002", body)
    assert not stored_body_is(stored, rid, {**body, "city": "Борисов"})
    assert not stored_body_is(stored, rid, {k: v for k, v in body.items() if k != "city"})
    assert not stored_body_is(stored, rid, {**body, "district": "Борисовский"})
    # The same body in another key order is not the same text: the parsed doc decides then.
    assert not stored_body_is(stored, rid, dict(reversed(body.items())))
    # A doc laid out otherwise is never taken for the body.
    moved = {"id": rid, "version": 3, **body, "created_at": "x", "updated_at": "x"}
    assert not stored_body_is(orjson.dumps(moved), rid, body)
    more = {"id": rid, **body, "version": 3, "note": "x", "created_at": "x", "updated_at": "x"}
    assert not stored_body_is(orjson.dumps(more), rid, body)


def _body_fields(schema, path: str = ""):
    """(dotted name, field) for every field a body may carry, nested ones too."""
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        yield f"{path}{name}", field
        if isinstance(field, fields.List):
            yield f"{path}{name}[]", field.inner
            field = field.inner
        if isinstance(field, fields.Nested):
            yield from _body_fields(field.schema, f"{path}{name}.")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
def test_every_body_field_loads_as_it_would_dump(resource):
    """load_body() keeps what the schema loads, without a dump: every field must load to the
    JSON value, under the name, that a dump would give (a date as its text, say)."""
    schemas = [resource.schema]
    for name, field in _body_fields(resource.schema):
        assert isinstance(field, JSON_FAITHFUL), name
        assert not isinstance(field, fields.DateTime) or isinstance(field, Date), name
        assert (field.data_key, field.attribute) == (None, None), name
        if isinstance(field, fields.Nested):
            schemas.append(field.schema)
    for schema in schemas:
        assert not schema._hooks[PRE_DUMP] and not schema._hooks[POST_DUMP], schema


JSON_FAITHFUL = (fields.String, fields.Integer, fields.Boolean, fields.Nested, fields.List, Date)
SOMEONE = "00000000-0000-4000-8000-000000000001"
FULL_BODIES = {
    "reagent": (
        reagents,
        reagent(
            SOMEONE,
            names={"ru": "Набор", "en": "Kit", "zh": "试剂盒"},
            tnved_code="3822 19 000 0",
            origin_country="BY",
            registration={"number": "ИМ-7.0/2027", "valid_until": "2027-01-05"},
            substitutes=[{"product": "ARCHITECT", "manufacturer": "Abbott", "country": "US"}],
            price={"amount": "12.5", "currency": "BYN"},
            pack=96,
            min_order_qty=1,
            lead_time_days=14,
            availability="in_stock",
        ),
    ),
    "exchange": (exchanges, exchange([SOMEONE], ends_on="2023-07-01", outcomes=["MoU"])),
    "partnership": (
        partnerships,
        partnership(
            SOMEONE,
            SOMEONE,
            status="signed",
            agreement={"number": "AG-1", "signed_on": "2023-08-10", "valid_until": "2028-08-10"},
        ),
    ),
    "contact": (contacts, contact(SOMEONE, consent={"given": True, "recorded_on": "2024-03-01"})),
}


@pytest.mark.parametrize("resource, body", FULL_BODIES.values(), ids=FULL_BODIES)
def test_a_loaded_body_is_its_own_dump(resource, body):
    loaded = load_body(resource, body)
    # The standard library's json refuses a date object, and keeps the order of the keys.
    assert json.dumps(loaded) == json.dumps(resource.schema.dump(loaded))
