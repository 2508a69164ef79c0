"""Reagent listings (contract §3): fields, rules, registration status, filters, facets, exports."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from tests.builders import error_fields, institution, post, reagent

URL = "/api/v1/reagents"


def minsk_today():
    return datetime.now(ZoneInfo("Europe/Minsk")).date()


def until(days: int) -> dict:
    return {
        "number": f"ИМ-{days}",
        "valid_until": (minsk_today() + timedelta(days=days)).isoformat(),
    }


@pytest.fixture
def supplier(client, keys) -> dict:
    return post(client, "/api/v1/institutions", institution(), keys["clerk"])


def listed(client, keys, **query) -> dict:
    response = client.get(URL, query_string=query, headers=keys["procurement"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(body: dict) -> list[str]:
    return [item["id"] for item in body["items"]]


def test_create_read_and_etag_with_today(client, keys, supplier):
    body = reagent(supplier["id"], tnved_code="3822 19 000 0", origin_country="CN", pack=96)
    response = client.post(URL, json=body, headers=keys["integration"])
    assert response.status_code == 201
    created = response.get_json()
    etag = f'"1-{minsk_today():%Y%m%d}"'
    assert response.headers["ETag"] == etag
    assert response.headers["Location"].endswith(f"{URL}/{created['id']}")
    assert created["tnved_code"] == "3822190000"
    assert created["registration_status"] == "unregistered"
    for digits in ("３８２２１９００００", "٣٨٢٢١٩٠٠٠٠"):  # full-width, Arabic-Indic
        other = reagent(supplier["id"], catalog_number=f"TN-{len(digits)}-{digits[0]}")
        stored = post(client, URL, {**other, "tnved_code": digits}, keys["clerk"])
        assert stored["tnved_code"] == "3822190000"
    got = client.get(f"{URL}/{created['id']}", headers=keys["procurement"])
    assert got.headers["ETag"] == etag
    assert got.get_json() == created
    again = client.get(
        f"{URL}/{created['id']}", headers={**keys["procurement"], "If-None-Match": etag}
    )
    assert again.status_code == 304
    stale = client.get(
        f"{URL}/{created['id']}", headers={**keys["procurement"], "If-None-Match": '"1-19990101"'}
    )
    assert stale.status_code == 200


def test_if_match_compares_the_version_part(client, keys, supplier):
    created = post(client, URL, reagent(supplier["id"]), keys["clerk"])
    path = f"{URL}/{created['id']}"
    wrong = client.patch(
        path, json={"pack": 5}, headers={**keys["clerk"], "If-Match": '"2-20000101"'}
    )
    assert wrong.status_code == 412
    right = client.patch(
        path, json={"pack": 5}, headers={**keys["clerk"], "If-Match": '"1-20000101"'}
    )
    assert right.status_code == 200
    assert right.get_json()["version"] == 2
    assert right.headers["ETag"] == f'"2-{minsk_today():%Y%m%d}"'


def test_procurement_reads_but_does_not_write(client, keys, supplier):
    response = client.post(URL, json=reagent(supplier["id"]), headers=keys["procurement"])
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("days", "status"),
    [(-400, "expired"), (-1, "expired"), (0, "expiring"), (90, "expiring"), (91, "valid")],
)
def test_registration_status_against_today_in_minsk(client, keys, supplier, days, status):
    created = post(client, URL, reagent(supplier["id"], registration=until(days)), keys["clerk"])
    assert created["registration_status"] == status
    # A list computes the status in SQL and passes the stored JSON on: the same record as GET.
    assert listed(client, keys, registration_status=status)["items"] == [created]
    others = {"expired", "expiring", "valid", "unregistered"} - {status}
    for other in others:
        assert listed(client, keys, registration_status=other)["items"] == []


def test_registration_needs_number_and_date_or_null(client, keys, supplier):
    response = client.post(
        URL, json=reagent(supplier["id"], registration={"number": "X"}), headers=keys["clerk"]
    )
    assert error_fields(response) == {"registration.valid_until"}
    created = post(client, URL, reagent(supplier["id"], registration=until(400)), keys["clerk"])
    patched = client.patch(
        f"{URL}/{created['id']}", json={"registration": None}, headers=keys["clerk"]
    ).get_json()
    assert "registration" not in patched
    assert patched["registration_status"] == "unregistered"


def test_computed_status_in_a_body_is_ignored(client, keys, supplier):
    body = reagent(supplier["id"], registration=until(400), registration_status="expired")
    created = post(client, URL, body, keys["clerk"])
    assert created["registration_status"] == "valid"
    unknown = client.patch(f"{URL}/{created['id']}", json={"colour": "red"}, headers=keys["clerk"])
    assert error_fields(unknown) == {"colour"}


def test_supplier_must_be_an_institution(client, keys):
    missing = reagent("00000000-0000-4000-8000-000000000000")
    assert error_fields(client.post(URL, json=missing, headers=keys["clerk"])) == {"supplier_id"}
    malformed = reagent("not-a-uuid")
    assert error_fields(client.post(URL, json=malformed, headers=keys["clerk"])) == {"supplier_id"}


def test_catalog_number_unique_per_supplier(client, keys, supplier):
    post(client, URL, reagent(supplier["id"], catalog_number="PCR-1"), keys["clerk"])
    clash = client.post(
        URL, json=reagent(supplier["id"], catalog_number="PCR-1"), headers=keys["clerk"]
    )
    assert error_fields(clash, 409) == {"catalog_number"}
    other = post(client, "/api/v1/institutions", institution(), keys["clerk"])
    post(client, URL, reagent(other["id"], catalog_number="PCR-1"), keys["clerk"])
    second = post(client, URL, reagent(supplier["id"], catalog_number="PCR-2"), keys["clerk"])
    moved = client.patch(
        f"{URL}/{second['id']}", json={"catalog_number": "PCR-1"}, headers=keys["clerk"]
    )
    assert error_fields(moved, 409) == {"catalog_number"}


def test_a_listing_keeps_its_supplier(client, keys, supplier):
    created = post(client, URL, reagent(supplier["id"]), keys["clerk"])
    refused = client.delete(f"/api/v1/institutions/{supplier['id']}", headers=keys["clerk"])
    assert refused.status_code == 409
    assert "reagents" in refused.get_json()["detail"]
    assert client.delete(f"{URL}/{created['id']}", headers=keys["clerk"]).status_code == 204
    assert client.get(f"{URL}/{created['id']}", headers=keys["clerk"]).status_code == 404
    deleted = client.delete(f"/api/v1/institutions/{supplier['id']}", headers=keys["clerk"])
    assert deleted.status_code == 204


@pytest.mark.parametrize(
    ("price", "stored"),
    [
        ({"amount": "12.5", "currency": "BYN"}, {"amount": "12.50", "currency": "BYN"}),
        ({"amount": "0", "currency": "USD"}, {"amount": "0.00", "currency": "USD"}),
        ({"amount": "1500", "currency": "JPY"}, {"amount": "1500", "currency": "JPY"}),
        ({"amount": "1.5", "currency": "KWD"}, {"amount": "1.500", "currency": "KWD"}),
        ({"amount": "99999999999.99", "currency": "CNY"}, None),
    ],
)
def test_price_is_an_exact_decimal_string(client, keys, supplier, price, stored):
    created = post(client, URL, reagent(supplier["id"], price=price), keys["clerk"])
    assert created["price"] == (stored or price)
    raw = client.get(f"{URL}/{created['id']}", headers=keys["clerk"]).get_data()
    assert f'"amount":"{(stored or price)["amount"]}"'.encode() in raw


@pytest.mark.parametrize(
    ("price", "field"),
    [
        ({"amount": 12.5, "currency": "BYN"}, "price.amount"),
        ({"amount": 12, "currency": "BYN"}, "price.amount"),
        ({"amount": "12.345", "currency": "BYN"}, "price.amount"),
        ({"amount": "10.5", "currency": "JPY"}, "price.amount"),
        ({"amount": "-1", "currency": "BYN"}, "price.amount"),
        ({"amount": "1e3", "currency": "BYN"}, "price.amount"),
        ({"amount": "NaN", "currency": "BYN"}, "price.amount"),
        ({"amount": "100000000000", "currency": "BYN"}, "price.amount"),
        ({"amount": "1.00", "currency": "ABC"}, "price.currency"),
        ({"amount": "1.00", "currency": "XAU"}, "price.currency"),
        ({"amount": "1.00"}, "price.currency"),
    ],
)
def test_bad_prices(client, keys, supplier, price, field):
    response = client.post(URL, json=reagent(supplier["id"], price=price), headers=keys["clerk"])
    assert error_fields(response) == {field}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tnved_code": "38221900"}, "tnved_code"),
        ({"tnved_code": "38221900AB"}, "tnved_code"),
        ({"origin_country": "XX"}, "origin_country"),
        ({"category": "magic"}, "category"),
        ({"availability": "maybe"}, "availability"),
        ({"pack": 1_000_001}, "pack"),
        ({"min_order_qty": -1}, "min_order_qty"),
        ({"lead_time_days": "7"}, "lead_time_days"),
        ({"names": {}}, "names"),
        ({"catalog_number": "x" * 65}, "catalog_number"),
        ({"substitutes": [{"manufacturer": "Roche"}]}, "substitutes.0.product"),
        (
            {"substitutes": [{"product": "cobas", "manufacturer": "Roche", "country": "ZZ"}]},
            "substitutes.0.country",
        ),
    ],
)
def test_field_rules(client, keys, supplier, overrides, field):
    response = client.post(URL, json=reagent(supplier["id"], **overrides), headers=keys["clerk"])
    assert field in error_fields(response)


def test_filters(client, keys, supplier):
    chinese = post(
        client, "/api/v1/institutions", institution(country="CN", region="CN-CQ"), keys["clerk"]
    )
    roche = [{"product": "cobas HBV", "manufacturer": "Roche Diagnostics", "country": "CH"}]
    a = post(
        client,
        URL,
        reagent(
            supplier["id"],
            category="elisa",
            origin_country="DE",
            availability="in_stock",
            substitutes=roche,
        ),
        keys["clerk"],
    )
    b = post(
        client,
        URL,
        reagent(chinese["id"], availability="on_order", price={"amount": "10", "currency": "CNY"}),
        keys["clerk"],
    )
    assert ids(listed(client, keys, category="elisa")) == [a["id"]]
    assert ids(listed(client, keys, supplier_id=chinese["id"])) == [b["id"]]
    assert ids(listed(client, keys, supplier_country="CN")) == [b["id"]]
    assert ids(listed(client, keys, origin_country="DE")) == [a["id"]]
    assert ids(listed(client, keys, availability="on_order")) == [b["id"]]
    assert ids(listed(client, keys, currency="CNY")) == [b["id"]]
    assert ids(listed(client, keys, substitutes_manufacturer="ROCHE diagnostics")) == [a["id"]]
    assert listed(client, keys, substitutes_manufacturer="Roche")["items"] == []
    bad = client.get(URL, query_string={"category": "magic"}, headers=keys["procurement"])
    assert error_fields(bad) == {"category"}


def test_supplier_country_follows_the_supplier(client, keys, supplier):
    created = post(client, URL, reagent(supplier["id"]), keys["clerk"])
    assert ids(listed(client, keys, supplier_country="BY")) == [created["id"]]
    moved = client.patch(
        f"/api/v1/institutions/{supplier['id']}",
        json={"country": "RU", "region": "RU-MOW"},
        headers=keys["clerk"],
    )
    assert moved.status_code == 200
    assert listed(client, keys, supplier_country="BY")["items"] == []
    assert ids(listed(client, keys, supplier_country="RU")) == [created["id"]]


def test_price_range_and_sorts_need_currency(client, keys, supplier):
    amounts = ["5.00", "10.00", "10.00", "20.50", "7.25"]
    made = [
        post(
            client,
            URL,
            reagent(supplier["id"], price={"amount": a, "currency": "BYN"}),
            keys["clerk"],
        )
        for a in amounts
    ]
    post(
        client,
        URL,
        reagent(supplier["id"], price={"amount": "1", "currency": "USD"}),
        keys["clerk"],
    )
    post(client, URL, reagent(supplier["id"]), keys["clerk"])
    inclusive = listed(client, keys, currency="BYN", price_min="7.25", price_max="10", sort="price")
    assert [i["price"]["amount"] for i in inclusive["items"]] == ["7.25", "10.00", "10.00"]
    expected = sorted(made, key=lambda r: (r["price"]["amount"].zfill(10), r["id"]))
    seen, cursor = [], None
    while True:
        query = {
            "currency": "BYN",
            "sort": "price",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = listed(client, keys, **query)
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [r["id"] for r in expected]
    descending = listed(client, keys, currency="BYN", sort="-price")
    assert ids(descending) == [r["id"] for r in reversed(expected)]
    for query, field in (
        ({"price_min": "1"}, "price_min"),
        ({"price_max": "1"}, "price_max"),
        ({"sort": "price"}, "sort"),
        ({"sort": "-price"}, "sort"),
        ({"currency": "BYN", "price_min": "abc"}, "price_min"),
        ({"currency": "BYN", "price_min": "-1"}, "price_min"),
        ({"currency": "ZZZ"}, "currency"),
    ):
        response = client.get(URL, query_string=query, headers=keys["procurement"])
        assert error_fields(response) == {field}


def test_facets_count_every_match_not_the_page(client, keys, supplier):
    for category, days in (("pcr", 400), ("pcr", 10), ("elisa", -5), ("elisa", None)):
        registration = until(days) if days is not None else None
        body = reagent(
            supplier["id"],
            category=category,
            registration=registration,
            price={"amount": "1", "currency": "USD"},
        )
        post(client, URL, body, keys["clerk"])
    body = listed(client, keys, limit=1, facets="category,registration_status,currency")
    assert len(body["items"]) == 1
    assert body["facets"] == {
        "category": {"elisa": 2, "pcr": 2},
        "registration_status": {"expired": 1, "expiring": 1, "unregistered": 1, "valid": 1},
        "currency": {"USD": 4},
    }
    narrowed = listed(client, keys, category="pcr", facets="registration_status,supplier_country")
    assert narrowed["facets"] == {
        "registration_status": {"expiring": 1, "valid": 1},
        "supplier_country": {"BY": 2},
    }
    # A facet whose filter is set counts every match under the filter's value.
    pinned = listed(client, keys, category="pcr", facets="category,registration_status")
    assert pinned["facets"] == {
        "category": {"pcr": 2},
        "registration_status": {"expiring": 1, "valid": 1},
    }
    alone = listed(client, keys, category="elisa", registration_status="expired", facets="category")
    assert alone["facets"] == {"category": {"elisa": 1}}
    both = listed(
        client, keys, category="elisa", currency="USD", facets="currency,category,availability"
    )
    assert both["facets"] == {"currency": {"USD": 2}, "category": {"elisa": 2}, "availability": {}}
    none = listed(client, keys, category="elisa", origin_country="JP", facets="origin_country")
    assert none["facets"] == {"origin_country": {}}
    assert "facets" not in listed(client, keys)
    bad = client.get(URL, query_string={"facets": "category,colour"}, headers=keys["procurement"])
    assert error_fields(bad) == {"facets"}


def test_csv_export_columns(client, keys, supplier):
    body = reagent(
        supplier["id"],
        names={"ru": "Набор «Гепатит B»", "zh": "乙型肝炎检测试剂盒"},
        price={"amount": "12.5", "currency": "BYN"},
        registration=until(400),
        substitutes=[{"product": "cobas HBV", "manufacturer": "Roche", "country": "CH"}],
    )
    created = post(client, URL, body, keys["clerk"])
    response = client.get(URL, query_string={"format": "csv"}, headers=keys["procurement"])
    assert response.status_code == 200
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == created["id"]
    assert row["names.ru"] == "Набор «Гепатит B»"
    assert row["names.zh"] == "乙型肝炎检测试剂盒"
    assert row["price.amount"] == "12.50"
    assert row["price.currency"] == "BYN"
    assert row["registration.number"] == "ИМ-400"
    assert row["registration_status"] == "valid"
    assert orjson.loads(row["substitutes"]) == body["substitutes"]
    ndjson = client.get(URL, query_string={"format": "ndjson"}, headers=keys["procurement"])
    line = orjson.loads(ndjson.get_data().splitlines()[0])
    assert line["registration_status"] == "valid"
    assert line["price"] == {"amount": "12.50", "currency": "BYN"}


def test_history_shows_the_computed_status(client, keys, supplier):
    created = post(client, URL, reagent(supplier["id"], registration=until(30)), keys["clerk"])
    history = client.get(f"{URL}/{created['id']}/history", headers=keys["procurement"]).get_json()
    assert history["items"][0]["record"]["registration_status"] == "expiring"


def test_one_statement_shape_answers_every_value(client, keys, supplier):
    """Lists build a statement once per shape and bind the values: each value its own answer."""
    other = post(client, "/api/v1/institutions", institution(), keys["clerk"])
    made = {}
    for owner, prices in ((supplier, ["1.00", "5.00", "9.00"]), (other, ["2.00", "6.00"])):
        for n, amount in enumerate(prices):
            body = reagent(owner["id"], catalog_number=f"S-{amount}-{n}")
            body["price"] = {"amount": amount, "currency": "BYN"}
            made.setdefault(owner["id"], []).append(post(client, URL, body, keys["clerk"])["id"])
    for _ in range(2):  # the second round runs on the statements the first one built
        for owner_id, ids in made.items():
            got = listed(client, keys, supplier_id=owner_id, currency="BYN", sort="price")
            assert [item["id"] for item in got["items"]] == ids
        for floor, count in (("5.00", 3), ("9.00", 1), ("0", 5)):
            got = listed(client, keys, currency="BYN", price_min=floor, limit=2, sort="-price")
            seen = len(got["items"])
            while got["next_cursor"]:
                got = listed(
                    client,
                    keys,
                    currency="BYN",
                    price_min=floor,
                    limit=2,
                    sort="-price",
                    cursor=got["next_cursor"],
                )
                seen += len(got["items"])
            assert seen == count, floor
