"""Every error is application/problem+json with the status the contract names."""

import pytest

from tests.builders import institution

URL = "/api/v1/institutions"


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    return body


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"\xff\xfe{}",
        b'{"a": NaN}',
        b"[" * 5000 + b"]" * 5000,
        # A lone surrogate escape: JSON's grammar allows it, but it is no text to store.
        b'{"names": {"ru": "\\ud800"}, "kind": "clinic", "country": "BY", "region": "BY-MI"}',
        b'{"\\udfff": 1}',
        b'{"names": {"ru": "x"}, "n": 123456789012345678901234567890, "city": "\\ud83d"}',
    ],
)
def test_malformed_bodies_are_400(client, keys, raw):
    response = client.post(URL, data=raw, headers=keys["clerk"], content_type="application/json")
    problem(response, 400)


def test_wrong_content_type_is_415(client, keys):
    response = client.post(
        URL, data="names=x", headers=keys["clerk"], content_type="application/x-www-form-urlencoded"
    )
    problem(response, 415)
    problem(client.post(URL, data=b"{}", headers=keys["clerk"]), 415)
    latin = client.post(
        URL, data=b"{}", headers=keys["clerk"], content_type="application/json; charset=latin-1"
    )
    assert "UTF-8" in problem(latin, 415)["detail"]
    utf8 = "application/json; charset=UTF-8"
    assert client.post(URL, data=b"{}", headers=keys["clerk"], content_type=utf8).status_code == 422


def test_oversized_body_is_413(app, client, keys):
    app.config["MAX_BODY_BYTES"] = 1000
    body = institution(address="a" * 2000)
    problem(client.post(URL, json=body, headers=keys["clerk"]), 413)


def test_405_keeps_allow(client, keys):
    response = client.put(URL, json={}, headers=keys["clerk"])
    problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    # A public path answers a wrong method with 405 even without a key.
    problem(client.post("/api/v1/openapi.json", json={}), 405)


def test_no_content_has_no_content_type(client, keys):
    record = client.post(URL, json=institution(), headers=keys["clerk"]).get_json()
    deleted = client.delete(f"{URL}/{record['id']}", headers=keys["clerk"])
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers


def test_404_for_unknown_paths(client, keys):
    problem(client.get("/api/v1/nowhere", headers=keys["clerk"]), 404)


def test_422_always_has_errors(client, keys):
    body = problem(client.post(URL, json={}, headers=keys["clerk"]), 422)
    assert {e["field"] for e in body["errors"]} >= {"names", "kind", "country", "region"}


def test_huge_integers_and_wrong_types_name_the_field(client, keys):
    raw = (
        b'{"names": {"ru": "A"}, "kind": 123456789012345678901234567890, '
        b'"country": "BY", "region": "BY-MI"}'
    )
    response = client.post(URL, data=raw, headers=keys["clerk"], content_type="application/json")
    assert "kind" in {e["field"] for e in problem(response, 422)["errors"]}


def test_lost_database_is_503(app, client, keys, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from registry.records import listing

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(listing, "page", broken)
    monkeypatch.setattr("registry.records.views.page", broken)
    problem(client.get(URL, headers=keys["clerk"]), 503)
