"""Institutions: every validation rule of the contract, over HTTP."""

import pytest

from tests.builders import chongqing_institution, institution, post

URL = "/api/v1/institutions"


def errors_of(response) -> set[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in response.get_json()["errors"]}


def test_full_record_round_trip(client, keys):
    body = institution(
        names={
            "ru": "  Минская областная клиническая больница ",
            "be": "Мінская абласная",
            "en": "Minsk Regional Clinical Hospital",
            "zh": "明斯克州临床医院",
        },
        district="minsk",
        city="Лесной",
        address="аг. Лесной, 1",
        identifiers=[{"scheme": "by_unp", "value": " 600122610 "}],
        specialties=["cardiology", "tcm"],
        email="Info@Example.BY",
        phone="8 017 543-42-22",
        website="https://example.by",
        status="active",
    )
    created = post(client, URL, body, keys["clerk"])
    assert created["names"]["ru"] == "Минская областная клиническая больница"
    assert created["identifiers"] == [{"scheme": "by_unp", "value": "600122610"}]
    assert created["phone"] == "+375175434222"
    assert created["email"].lower() == "info@example.by"
    assert created["created_at"].endswith("Z") and created["version"] == 1
    response = client.get(f"{URL}/{created['id']}", headers=keys["procurement"])
    assert response.get_json() == created


def test_defaults_and_location(client, keys):
    response = client.post(URL, json=institution(), headers=keys["clerk"])
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"{URL}/{response.get_json()['id']}")
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["status"] == "active"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"names": {}}, "names"),
        ({"names": {"ru": "   "}}, "names"),
        ({"names": {"de": "Krankenhaus"}}, "names.de"),
        ({"names": {"ru": "x" * 301}}, "names.ru"),
        ({"kind": "spa"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"country": "by"}, "country"),
        ({"region": "CN-CQ"}, "region"),
        ({"region": "BY-XX"}, "region"),
        ({"district": "wanzhou"}, "district"),
        ({"status": "open"}, "status"),
        ({"identifiers": [{"scheme": "by_unp", "value": "600122611"}]}, "identifiers.0.value"),
        ({"identifiers": [{"scheme": "inn", "value": "1"}]}, "identifiers.0.scheme"),
        ({"identifiers": [{"scheme": "other"}]}, "identifiers.0.value"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "+375 17 123 45 67 доб. 12"}, "phone"),
        ({"phone": "+86 23 6381 1234 ext. 5"}, "phone"),
        ({"website": "ftp://example.by"}, "website"),
        ({"address": "a" * 501}, "address"),
        ({"city": "a" * 301}, "city"),
        ({"specialties": ["x"] * 51}, "specialties"),
        ({"specialties": ["x" * 65]}, "specialties.0"),
        ({"colour": "red"}, "colour"),
        ({"kind": 5}, "kind"),
        ({"names": "Hospital"}, "names"),
    ],
)
def test_validation_names_the_field(client, keys, change, field):
    response = client.post(URL, json=institution(**change), headers=keys["clerk"])
    assert field in errors_of(response)
    listed = client.get(URL, headers=keys["clerk"]).get_json()
    assert listed["items"] == []


@pytest.mark.parametrize("missing", ["names", "kind", "country", "region"])
def test_required_fields(client, keys, missing):
    body = institution()
    del body[missing]
    assert missing in errors_of(client.post(URL, json=body, headers=keys["clerk"]))


def test_nul_character_is_refused(client, keys):
    body = institution(names={"ru": "Боль\x00ница"})
    assert "names.ru" in errors_of(client.post(URL, json=body, headers=keys["clerk"]))


def test_nfc_normalisation(client, keys):
    decomposed = "Й"  # И + combining breve
    created = post(client, URL, institution(names={"ru": decomposed}), keys["clerk"])
    assert created["names"]["ru"] == "Й"


def test_chongqing_district_and_uscc(client, keys):
    body = chongqing_institution(
        district="yuzhong", identifiers=[{"scheme": "cn_uscc", "value": "91110000600037341l"}]
    )
    created = post(client, URL, body, keys["clerk"])
    assert created["identifiers"][0]["value"] == "91110000600037341L"
    bad = chongqing_institution(identifiers=[{"scheme": "cn_uscc", "value": "91110000600037341X"}])
    assert "identifiers.0.value" in errors_of(client.post(URL, json=bad, headers=keys["clerk"]))


def test_identifier_belongs_to_one_institution(client, keys):
    ident = [{"scheme": "by_unp", "value": "600122610"}]
    post(client, URL, institution(identifiers=ident), keys["clerk"])
    response = client.post(URL, json=institution(identifiers=ident), headers=keys["clerk"])
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["field"] == "identifiers.0.value"
    twice = institution(identifiers=ident * 2)
    assert "identifiers.1.value" in errors_of(client.post(URL, json=twice, headers=keys["clerk"]))


def test_filters(client, keys):
    a = post(
        client,
        URL,
        institution(kind="clinic", district="borisov", specialties=["tcm"]),
        keys["clerk"],
    )
    b = post(client, URL, chongqing_institution(status="suspended"), keys["clerk"])

    def ids(query):
        response = client.get(f"{URL}?{query}", headers=keys["procurement"])
        assert response.status_code == 200, response.get_data(as_text=True)
        return {i["id"] for i in response.get_json()["items"]}

    assert ids("kind=clinic") == {a["id"]}
    assert ids("country=CN") == {b["id"]}
    assert ids("region=BY-MI") == {a["id"]}
    assert ids("district=borisov") == {a["id"]}
    assert ids("region=CN-CQ") == {b["id"]} and ids("region=DE-BE") == set()
    assert ids("status=suspended") == {b["id"]}
    assert ids("specialty=tcm") == {a["id"]}
    assert ids("kind=clinic&country=CN") == set()
    for bad in (
        "kind=spa",
        "status=x",
        "country=ZZ",
        "region=BY-ZZ",
        "region=by-mi",
        "district=atlantis",
        "district=BORISOV",
        "limit=0",
        "limit=501",
        "sort=colour",
        "cursor=zzz",
        "unknown=1",
    ):
        response = client.get(f"{URL}?{bad}", headers=keys["procurement"])
        assert response.status_code == 422, bad
        assert response.get_json()["errors"][0]["field"] == bad.split("=")[0]


def test_search_q(client, keys):
    a = post(
        client,
        URL,
        institution(
            names={"ru": "Борисовская центральная больница"},
            identifiers=[{"scheme": "by_unp", "value": "600122610"}],
        ),
        keys["clerk"],
    )
    b = post(
        client,
        URL,
        chongqing_institution(names={"zh": "重庆市中医院", "en": "Chongqing TCM Hospital"}),
        keys["clerk"],
    )

    def ids(q):
        response = client.get(URL, query_string={"q": q}, headers=keys["procurement"])
        return {i["id"] for i in response.get_json()["items"]}

    assert ids("БОРИСОВСКАЯ") == {a["id"]}
    assert ids("центральная борис") == {a["id"]}
    assert ids("6001226") == {a["id"]}
    assert ids("tcm hospital") == {b["id"]}
    assert ids("重庆") == {b["id"]}
    assert ids("chongqing") == {b["id"]}
    assert ids("borisov") == {a["id"]}
    assert ids("hospital борисов") == set()
    assert ids("100%") == set()
