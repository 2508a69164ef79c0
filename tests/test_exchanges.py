"""Exchanges: dates, the records they name, outcomes, filters and the from/to window."""

import pytest

from tests.builders import (
    chongqing_institution,
    contact,
    error_fields,
    exchange,
    institution,
    partnership,
    post,
)

URL = "/api/v1/exchanges"
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def places(client, keys) -> list[str]:
    bodies = [institution(), chongqing_institution()]
    return [post(client, "/api/v1/institutions", body, keys["clerk"])["id"] for body in bodies]


def test_round_trip_and_defaults(client, keys, places):
    person = post(client, "/api/v1/contacts", contact(places[1]), keys["clerk"])
    tie = post(client, "/api/v1/partnerships", partnership(*places), keys["clerk"])
    body = exchange(
        places,
        kind="delegation_visit",
        title="Road map signing",
        summary="A Chongqing delegation signed a road map.",
        starts_on="2023-08-10",
        ends_on="2023-08-11",
        location="Минск",
        contact_ids=[person["id"]],
        partnership_id=tie["id"],
        outcomes=["Road map signed", "TCM cooperation"],
    )
    created = post(client, URL, body, keys["clerk"])
    assert created["status"] == "planned" and created["version"] == 1
    assert {k: created[k] for k in body} == body
    got = client.get(f"{URL}/{created['id']}", headers=keys["procurement"])
    assert got.status_code == 200 and got.get_json() == created
    held = client.patch(f"{URL}/{created['id']}", json={"status": "held"}, headers=keys["clerk"])
    assert held.get_json()["status"] == "held" and held.get_json()["version"] == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"starts_on": "29.06.2023"}, "starts_on"),
        ({"ends_on": "2023-06-28"}, "ends_on"),
        ({"institution_ids": []}, "institution_ids"),
        ({"institution_ids": ["nope"]}, "institution_ids.0"),
        ({"contact_ids": [MISSING]}, "contact_ids.0"),
        ({"partnership_id": MISSING}, "partnership_id"),
        ({"outcomes": ["x" * 5001]}, "outcomes.0"),
        ({"outcomes": ["x"] * 51}, "outcomes"),
        ({"summary": "x" * 5001}, "summary"),
        ({"status": "done"}, "status"),
        ({"venue": "Minsk"}, "venue"),
    ],
)
def test_validation(client, keys, places, overrides, field):
    body = {**exchange(places), **overrides}
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {field}


@pytest.mark.parametrize("field", ["kind", "title", "starts_on", "institution_ids"])
def test_required(client, keys, places, field):
    body = exchange(places)
    del body[field]
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {field}


def test_each_unknown_id_is_named(client, keys, places):
    body = exchange([places[0], MISSING, places[1]], ends_on="2023-06-29")
    response = client.post(URL, json=body, headers=keys["clerk"])
    assert error_fields(response) == {"institution_ids.1"}
    twice = exchange([places[0], places[0]])
    assert error_fields(client.post(URL, json=twice, headers=keys["clerk"])) == {
        "institution_ids.1"
    }


def test_limits_on_outcomes(client, keys, places):
    body = exchange(places, outcomes=["x" * 5000] * 50)
    assert len(post(client, URL, body, keys["clerk"])["outcomes"]) == 50


def test_filters(client, keys, places):
    tie = post(client, "/api/v1/partnerships", partnership(*places), keys["clerk"])
    third = post(client, "/api/v1/institutions", institution(), keys["clerk"])["id"]
    june = post(
        client,
        URL,
        exchange(places, starts_on="2023-06-29", location="Great Stone", status="held"),
        keys["clerk"],
    )
    august = post(
        client,
        URL,
        exchange(
            [places[0]],
            kind="delegation_visit",
            starts_on="2023-08-10",
            ends_on="2023-08-12",
            partnership_id=tie["id"],
            outcomes=["Дорожная карта подписана"],
        ),
        keys["clerk"],
    )
    call = post(
        client,
        URL,
        exchange(
            [third], kind="video_call", title="Telemedicine pilot call", starts_on="2024-01-15"
        ),
        keys["clerk"],
    )

    def ids(query: str) -> set[str]:
        response = client.get(f"{URL}?{query}", headers=keys["procurement"])
        assert response.status_code == 200, response.get_data(as_text=True)
        return {e["id"] for e in response.get_json()["items"]}

    assert ids("kind=delegation_visit") == {august["id"]}
    assert ids(f"institution_id={places[0]}") == {june["id"], august["id"]}
    assert ids(f"institution_id={places[1]}") == {june["id"]}
    assert ids(f"partnership_id={tie['id']}") == {august["id"]}
    assert ids("status=held") == {june["id"]}
    assert ids("status=planned") == {august["id"], call["id"]}
    assert ids("q=great stone") == {june["id"]}
    assert ids("q=дорожная") == {august["id"]}
    assert ids("q=telemedicine") == {call["id"]}
    for bad in ("kind=party", "status=done", "from=2023-13-01", "to=yesterday", "partnership_id=1"):
        assert error_fields(client.get(f"{URL}?{bad}", headers=keys["clerk"])) == {
            bad.split("=")[0]
        }


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("from=2023-06-29&to=2023-06-29", {"june"}),  # a one-day exchange, bounds inclusive
        ("from=2023-06-30&to=2023-08-09", set()),
        ("from=2023-08-12", {"august", "call"}),  # its last day counts
        ("from=2023-08-13", {"call"}),
        ("to=2023-08-10", {"june", "august"}),  # its first day counts
        ("to=2023-06-28", set()),
        ("from=2023-08-11&to=2023-08-11", {"august"}),  # inside a longer exchange
        ("from=2023-01-01&to=2023-12-31", {"june", "august"}),
    ],
)
def test_date_window(client, keys, places, window, expected):
    made = {
        "june": exchange(places, starts_on="2023-06-29"),
        "august": exchange(places, starts_on="2023-08-10", ends_on="2023-08-12"),
        "call": exchange(places, starts_on="2024-01-15"),
    }
    named = {post(client, URL, body, keys["clerk"])["id"]: name for name, body in made.items()}
    response = client.get(f"{URL}?{window}", headers=keys["clerk"])
    assert {named[e["id"]] for e in response.get_json()["items"]} == expected


def test_sorted_by_title_and_exported(client, keys, places):
    for title in ("Визит делегации", "Annual conference", "Встреча"):
        post(client, URL, exchange(places, title=title), keys["clerk"])
    listed = client.get(f"{URL}?sort=name", headers=keys["clerk"]).get_json()["items"]
    assert [e["title"] for e in listed] == ["Annual conference", "Визит делегации", "Встреча"]
    csv = client.get(f"{URL}?format=csv", headers=keys["clerk"]).get_data(as_text=True)
    header = csv.lstrip("\ufeff").splitlines()[0].split(",")
    assert "institution_ids" in header and "outcomes" in header
    assert ";".join(places) in csv


def test_an_institution_named_by_an_exchange_cannot_be_deleted(client, keys, places):
    record = post(client, URL, exchange([places[1]]), keys["clerk"])
    refused = client.delete(f"/api/v1/institutions/{places[1]}", headers=keys["clerk"])
    assert refused.status_code == 409 and "exchanges" in refused.get_json()["detail"]
    assert client.delete(f"{URL}/{record['id']}", headers=keys["clerk"]).status_code == 204
    freed = client.delete(f"/api/v1/institutions/{places[1]}", headers=keys["clerk"])
    assert freed.status_code == 204


@pytest.mark.parametrize("role", ["integration", "procurement"])
def test_only_admin_and_clerk_write(client, keys, places, role):
    assert client.post(URL, json=exchange(places), headers=keys[role]).status_code == 403
