"""Partnerships: sides, areas, the status machine, agreements and one open tie per pair."""

import threading

import pytest

from registry.reference import PARTNERSHIP_TRANSITIONS
from tests.builders import (
    agreement,
    chongqing_institution,
    error_fields,
    exchange,
    institution,
    partnership,
    post,
)

URL = "/api/v1/partnerships"
STATUSES = list(PARTNERSHIP_TRANSITIONS)
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def sides(client, keys) -> dict:
    clerk = keys["clerk"]
    made = {
        "minsk": institution(names={"ru": "Борисовская ЦРБ", "en": "Borisov Hospital"}),
        "chongqing": chongqing_institution(names={"zh": "重庆市中医院", "en": "Chongqing TCM"}),
        "minsk_city": institution(region="BY-HM"),
        "other_minsk": institution(names={"ru": "Слуцкая ЦРБ"}),
    }
    return {
        key: post(client, "/api/v1/institutions", body, clerk)["id"] for key, body in made.items()
    }


def create(client, keys, sides, **overrides) -> dict:
    body = partnership(sides["minsk"], sides["chongqing"], **overrides)
    return post(client, URL, body, keys["clerk"])


def patch(client, keys, record_id: str, body: dict):
    return client.patch(f"{URL}/{record_id}", json=body, headers=keys["clerk"])


def test_create_read_and_defaults(client, keys, sides):
    response = client.post(
        URL, json=partnership(sides["minsk"], sides["chongqing"]), headers=keys["admin"]
    )
    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"].endswith(f"{URL}/{created['id']}")
    assert response.headers["ETag"] == '"1"'
    assert created["status"] == "proposed" and created["areas"] == ["tcm"]
    got = client.get(f"{URL}/{created['id']}", headers=keys["procurement"])
    assert got.status_code == 200 and got.get_json() == created


@pytest.mark.parametrize("role", ["integration", "procurement"])
def test_only_admin_and_clerk_write(client, keys, sides, role):
    body = partnership(sides["minsk"], sides["chongqing"])
    assert client.post(URL, json=body, headers=keys[role]).status_code == 403


def test_sides_must_exist(client, keys, sides):
    both = client.post(URL, json=partnership(MISSING, MISSING), headers=keys["clerk"])
    assert error_fields(both) == {"minsk_institution_id", "chongqing_institution_id"}
    one = client.post(URL, json=partnership(sides["minsk"], MISSING), headers=keys["clerk"])
    assert error_fields(one) == {"chongqing_institution_id"}
    malformed = client.post(
        URL, json=partnership("nope", sides["chongqing"]), headers=keys["clerk"]
    )
    assert error_fields(malformed) == {"minsk_institution_id"}


def test_minsk_city_is_not_the_minsk_region(client, keys, sides):
    response = client.post(
        URL, json=partnership(sides["minsk_city"], sides["chongqing"]), headers=keys["clerk"]
    )
    assert error_fields(response) == {"minsk_institution_id"}
    message = response.get_json()["errors"][0]["message"]
    assert "BY-HM" in message and "BY-MI" in message


def test_sides_swapped_are_refused(client, keys, sides):
    response = client.post(
        URL, json=partnership(sides["chongqing"], sides["minsk"]), headers=keys["clerk"]
    )
    assert error_fields(response) == {"minsk_institution_id", "chongqing_institution_id"}


@pytest.mark.parametrize(
    ("areas", "field"),
    [(None, "areas"), ([], "areas"), (["space"], "areas.0"), (["tcm", "tcm"], "areas.1")],
)
def test_areas(client, keys, sides, areas, field):
    body = partnership(sides["minsk"], sides["chongqing"], areas=areas)
    if areas is None:
        del body["areas"]
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {field}


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "terminated"])
def test_a_new_partnership_may_start_at_any_status_but_terminated(client, keys, sides, status):
    created = create(client, keys, sides, status=status, agreement=agreement())
    assert created["status"] == status


def test_a_new_partnership_cannot_start_terminated(client, keys, sides):
    body = partnership(sides["minsk"], sides["chongqing"], status="terminated")
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {"status"}


def _at(client, keys, sides, status: str) -> dict:
    if status == "terminated":
        record = create(client, keys, sides, agreement=agreement())
        return patch(client, keys, record["id"], {"status": "terminated"}).get_json()
    return create(client, keys, sides, status=status, agreement=agreement())


def test_status_machine_follows_the_table(client, keys, sides):
    for from_status in STATUSES:
        for to_status in STATUSES:
            record = _at(client, keys, sides, from_status)
            response = patch(client, keys, record["id"], {"status": to_status})
            if to_status == from_status:
                assert response.status_code == 200
                assert response.get_json()["version"] == record["version"]
            elif to_status in PARTNERSHIP_TRANSITIONS[from_status]:
                assert response.status_code == 200, (from_status, to_status)
                assert response.get_json()["status"] == to_status
            else:
                assert error_fields(response, 409) == {"status"}, (from_status, to_status)
                after = client.get(f"{URL}/{record['id']}", headers=keys["clerk"]).get_json()
                assert after == record
            deleted = client.delete(f"{URL}/{record['id']}", headers=keys["clerk"])
            assert deleted.status_code == 204


def test_the_full_life_of_a_partnership(client, keys, sides):
    record = create(client, keys, sides)
    assert patch(client, keys, record["id"], {"status": "negotiating"}).status_code == 200
    unsigned = patch(client, keys, record["id"], {"status": "signed"})
    assert error_fields(unsigned) == {"agreement"}
    signed = patch(client, keys, record["id"], {"status": "signed", "agreement": agreement()})
    assert signed.status_code == 200 and signed.get_json()["version"] == 3
    for status in ("active", "suspended", "active", "terminated"):
        assert patch(client, keys, record["id"], {"status": status}).status_code == 200
    final = patch(client, keys, record["id"], {"status": "active"})
    assert error_fields(final, 409) == {"status"}
    history = client.get(f"{URL}/{record['id']}/history", headers=keys["procurement"]).get_json()
    assert [item["record"]["status"] for item in history["items"]] == [
        "proposed",
        "negotiating",
        "signed",
        "active",
        "suspended",
        "active",
        "terminated",
    ]
    assert {item["actor"] for item in history["items"]} == {"clerk-tester"}


@pytest.mark.parametrize("status", ["signed", "active", "suspended"])
def test_agreement_required_from_signed_on(client, keys, sides, status):
    body = partnership(sides["minsk"], sides["chongqing"], status=status)
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {"agreement"}
    record = create(client, keys, sides, status=status, agreement=agreement())
    assert error_fields(patch(client, keys, record["id"], {"agreement": None})) == {"agreement"}


def test_agreement_fields(client, keys, sides):
    cases = [
        (agreement(valid_until="2023-08-09"), {"agreement.valid_until"}),
        ({"signed_on": "2023-08-10"}, {"agreement.number"}),
        (agreement(signed_on="10.08.2023"), {"agreement.signed_on"}),
        (agreement(extra="x"), {"agreement.extra"}),
    ]
    for value, fields in cases:
        body = partnership(sides["minsk"], sides["chongqing"], status="signed", agreement=value)
        assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == fields
    same_day = create(client, keys, sides, agreement=agreement(valid_until="2023-08-10"))
    assert same_day["agreement"]["valid_until"] == "2023-08-10"


def test_a_terminated_partnership_keeps_its_agreement(client, keys, sides):
    record = create(client, keys, sides, status="active", agreement=agreement())
    ended = patch(client, keys, record["id"], {"status": "terminated"}).get_json()
    assert ended["agreement"] == record["agreement"]
    assert error_fields(patch(client, keys, record["id"], {"agreement": None})) == {"agreement"}
    assert patch(client, keys, record["id"], {"notes": "Ended in 2025."}).status_code == 200
    moved = patch(client, keys, record["id"], {"areas": ["trade"], "notes": "x"})
    assert error_fields(moved, 409) == {"areas"}
    unsigned = create(client, keys, sides)
    assert patch(client, keys, unsigned["id"], {"status": "terminated"}).status_code == 200


def test_one_open_partnership_per_pair(client, keys, sides):
    first = create(client, keys, sides)
    again = client.post(
        URL, json=partnership(sides["minsk"], sides["chongqing"]), headers=keys["clerk"]
    )
    assert again.status_code == 409 and first["id"] in again.get_json()["detail"]
    other = post(client, URL, partnership(sides["other_minsk"], sides["chongqing"]), keys["clerk"])
    moved = patch(client, keys, other["id"], {"minsk_institution_id": sides["minsk"]})
    assert moved.status_code == 409
    assert patch(client, keys, first["id"], {"status": "terminated"}).status_code == 200
    assert create(client, keys, sides)["status"] == "proposed"
    ended = client.get(f"{URL}?status=terminated", headers=keys["clerk"]).get_json()
    assert [p["id"] for p in ended["items"]] == [first["id"]]


def test_the_database_refuses_a_second_open_partnership(client, keys, sides, monkeypatch):
    monkeypatch.setattr("registry.partnerships.rules.pair_free", lambda body, record: None)
    create(client, keys, sides)
    again = client.post(
        URL, json=partnership(sides["minsk"], sides["chongqing"]), headers=keys["clerk"]
    )
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    listed = client.get(URL, headers=keys["clerk"]).get_json()["items"]
    assert len(listed) == 1


def test_two_concurrent_creates_of_one_pair_one_wins(app, client, keys, sides):
    client.get(URL, headers=keys["clerk"])
    body = partnership(sides["minsk"], sides["chongqing"])
    barrier = threading.Barrier(2)
    statuses = []

    def create_once():
        own = app.test_client()
        barrier.wait()
        statuses.append(own.post(URL, json=body, headers=keys["clerk"]).status_code)

    threads = [threading.Thread(target=create_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert len(client.get(URL, headers=keys["clerk"]).get_json()["items"]) == 1


def test_filters_sort_and_search(client, keys, sides):
    tcm = create(client, keys, sides, areas=["tcm", "education"], notes="Акупунктура")
    reagents = post(
        client,
        URL,
        partnership(
            sides["other_minsk"],
            sides["chongqing"],
            areas=["medical_reagents"],
            status="signed",
            agreement=agreement(number="RM-2023/7"),
        ),
        keys["clerk"],
    )

    def ids(query: str) -> list[str]:
        response = client.get(f"{URL}?{query}", headers=keys["procurement"])
        assert response.status_code == 200, response.get_data(as_text=True)
        return [p["id"] for p in response.get_json()["items"]]

    assert ids(f"institution_id={sides['minsk']}") == [tcm["id"]]
    assert set(ids(f"institution_id={sides['chongqing']}")) == {tcm["id"], reagents["id"]}
    assert ids("status=signed") == [reagents["id"]]
    assert ids("area=education") == [tcm["id"]]
    assert ids("area=medical_reagents&status=proposed") == []
    assert ids("sort=name") == [tcm["id"], reagents["id"]]  # Борисовская < Слуцкая
    assert ids("sort=-name") == [reagents["id"], tcm["id"]]
    assert ids("q=акупунктура") == [tcm["id"]]
    assert ids("q=RM-2023") == [reagents["id"]]
    assert ids("q=слуцкая") == [reagents["id"]]
    assert set(ids("q=重庆")) == {tcm["id"], reagents["id"]}
    assert ids("q=borisov acupuncture") == []
    for bad in ("status=done", "area=space", "institution_id=12"):
        assert error_fields(client.get(f"{URL}?{bad}", headers=keys["clerk"])) == {
            bad.split("=")[0]
        }


def test_a_partnership_named_by_an_exchange_cannot_be_deleted(client, keys, sides):
    record = create(client, keys, sides)
    meeting = post(
        client,
        "/api/v1/exchanges",
        exchange([sides["minsk"]], partnership_id=record["id"]),
        keys["clerk"],
    )
    refused = client.delete(f"{URL}/{record['id']}", headers=keys["clerk"])
    assert refused.status_code == 409 and "exchanges" in refused.get_json()["detail"]
    assert (
        client.delete(f"/api/v1/exchanges/{meeting['id']}", headers=keys["clerk"]).status_code
        == 204
    )
    assert client.delete(f"{URL}/{record['id']}", headers=keys["clerk"]).status_code == 204


def test_an_institution_on_a_partnership_cannot_be_deleted(client, keys, sides):
    record = create(client, keys, sides)
    for side in ("minsk", "chongqing"):
        refused = client.delete(f"/api/v1/institutions/{sides[side]}", headers=keys["clerk"])
        assert refused.status_code == 409 and "partnerships" in refused.get_json()["detail"]
    assert client.delete(f"{URL}/{record['id']}", headers=keys["clerk"]).status_code == 204
    freed = client.delete(f"/api/v1/institutions/{sides['minsk']}", headers=keys["clerk"])
    assert freed.status_code == 204


def test_a_side_stays_in_its_region_while_the_partnership_lasts(client, keys, sides):
    record = create(client, keys, sides)
    institutions = "/api/v1/institutions"
    moves = {
        "minsk": {"region": "BY-HM", "district": None},
        "chongqing": {"region": "CN-SH", "district": None},
    }
    for side, move in moves.items():
        response = client.patch(f"{institutions}/{sides[side]}", json=move, headers=keys["clerk"])
        assert response.status_code == 409, response.get_data(as_text=True)
        assert response.get_json()["errors"][0]["field"] == "region"
        assert record["id"] in response.get_json()["detail"]
    assert patch(client, keys, record["id"], {"status": "terminated"}).status_code == 200
    for side, move in moves.items():
        response = client.patch(f"{institutions}/{sides[side]}", json=move, headers=keys["clerk"])
        assert response.status_code == 200, response.get_data(as_text=True)
