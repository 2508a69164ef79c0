"""A catalogue of bad input: each answers a 4xx problem naming the field, and writes nothing."""

import pytest
from marshmallow import fields

from registry.records.views import RESOURCES

WRONG = {"string": 12345, "number": "12", "boolean": "yes", "list": "x", "object": ["x"]}


def kind_of(field) -> str:
    if isinstance(field, fields.List):
        return "list"
    if isinstance(field, fields.Nested | fields.Dict):
        return "object"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Integer | fields.Float | fields.Decimal):
        return "number"
    return "string"


def feed_length(client, keys) -> int:
    return len(client.get("/api/v1/changes?limit=1000", headers=keys["admin"]).get_json()["items"])


def test_wrong_type_in_every_field_of_every_resource(client, keys):
    checked = 0
    for name, resource in RESOURCES.items():
        for field_name, field in resource.schema.fields.items():
            if field.dump_only or field_name in resource.read_only:
                continue
            body = {field.data_key or field_name: WRONG[kind_of(field)]}
            response = client.post(f"/api/v1/{name}", json=body, headers=keys["admin"])
            assert response.status_code == 422, (name, field_name)
            named = {e["field"].split(".")[0] for e in response.get_json()["errors"]}
            assert field_name in named, (name, field_name, named)
            checked += 1
    assert checked > 20
    assert feed_length(client, keys) == 0


def test_every_code_list_refuses_a_wrong_value(client, keys):
    checked = 0
    for name, resource in RESOURCES.items():
        for field_name, field in resource.schema.fields.items():
            if "enum" not in (field.metadata or {}) or field_name in resource.read_only:
                continue
            response = client.post(
                f"/api/v1/{name}", json={field_name: "not-a-code"}, headers=keys["admin"]
            )
            assert response.status_code == 422
            assert field_name in {e["field"] for e in response.get_json()["errors"]}
            checked += 1
    assert checked >= 5
    assert feed_length(client, keys) == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("q=" + "x" * 501, "q"),
        ("q=%00", "q"),
        ("sort=name;drop", "sort"),
        ("sort=", "sort"),
        ("cursor=%27%20OR%201=1", "cursor"),
        ("cursor=eyJzIjoibmFtZSJ9", "cursor"),
        ("limit=-1", "limit"),
        ("limit=1e3", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("format=pdf", "format"),
        ("limit=1&limit=2", "limit"),
    ],
)
def test_hostile_list_parameters(client, keys, query, field):
    for name in RESOURCES:
        response = client.get(f"/api/v1/{name}?{query}", headers=keys["admin"])
        assert response.status_code == 422, (name, query, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
        assert field in {e["field"] for e in response.get_json()["errors"]}


@pytest.mark.parametrize(
    "query", ["since=-5", "since=x", "since=1e400", "since=" + "9" * 40, "limit=0", "limit=abc"]
)
def test_hostile_feed_parameters(client, keys, query):
    response = client.get(f"/api/v1/changes?{query}", headers=keys["admin"])
    assert response.status_code == 422
    assert query.split("=")[0] in {e["field"] for e in response.get_json()["errors"]}


@pytest.mark.parametrize("query", ["since=yesterday", "cursor=-1", "limit=501"])
def test_hostile_audit_parameters(client, keys, query):
    response = client.get(f"/api/v1/audit?{query}", headers=keys["admin"])
    assert response.status_code == 422


def test_hostile_q_is_literal(client, keys):
    for q in ["%", "_", "\\", "' OR 1=1 --", '"', "*", "NEAR(", "a AND b", "重"]:
        for name in RESOURCES:
            response = client.get(f"/api/v1/{name}", query_string={"q": q}, headers=keys["admin"])
            assert response.status_code == 200, (name, q, response.get_data(as_text=True))
            assert response.get_json()["items"] == []
