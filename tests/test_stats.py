"""GET /api/v1/stats: every count, and import-substitution coverage."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.builders import agreement, chongqing_institution, institution, partnership, post, reagent

URL = "/api/v1/stats"


def substitute(product: str, manufacturer: str) -> dict:
    return {"product": product, "manufacturer": manufacturer}


def test_stats_count_every_dimension(client, keys):
    clerk = keys["clerk"]
    minsk = post(client, "/api/v1/institutions", institution(), clerk)
    second = post(client, "/api/v1/institutions", institution(kind="clinic"), clerk)
    chongqing = post(client, "/api/v1/institutions", chongqing_institution(), clerk)
    city = institution(region="BY-HM", kind="pharmacy", status="suspended")
    post(client, "/api/v1/institutions", city, clerk)
    signed = partnership(
        minsk["id"], chongqing["id"], areas=["tcm", "education"], status="signed",
        agreement=agreement(),
    )  # fmt: skip
    post(client, "/api/v1/partnerships", signed, clerk)
    post(client, "/api/v1/partnerships", partnership(second["id"], chongqing["id"]), clerk)
    soon = (datetime.now(ZoneInfo("Europe/Minsk")).date() + timedelta(days=30)).isoformat()
    listings = [
        ("pcr", "2031-01-01", [substitute("Xpert", "Cepheid")]),
        ("pcr", "2020-01-01", [substitute("XPERT", "cepheid"), substitute("Cobas", "Roche")]),
        ("elisa", soon, [substitute("Xpert", "Cepheid")]),
        ("elisa", None, []),
    ]
    for category, until, substitutes in listings:
        registration = {"number": "ИМ-1", "valid_until": until} if until else None
        body = reagent(
            minsk["id"], category=category, registration=registration, substitutes=substitutes
        )
        post(client, "/api/v1/reagents", body, clerk)

    response = client.get(URL, headers=keys["procurement"])
    assert response.status_code == 200
    stats = response.get_json()
    assert stats["institutions"] == {
        "total": 4,
        "by_country": {"BY": 3, "CN": 1},
        "by_region": {"BY-MI": 2, "BY-HM": 1, "CN-CQ": 1},
        "by_kind": {"hospital": 2, "clinic": 1, "pharmacy": 1},
        "by_status": {"active": 3, "suspended": 1},
    }
    assert stats["partnerships"] == {
        "total": 2,
        "by_status": {"proposed": 1, "signed": 1},
        "by_area": {"tcm": 2, "education": 1},
    }
    assert stats["reagents"] == {
        "total": 4,
        "by_category": {"elisa": 2, "pcr": 2},
        "by_registration_status": {"expired": 1, "expiring": 1, "unregistered": 1, "valid": 1},
    }
    assert stats["import_substitution"] == {
        "products_with_substitute": 2,
        "products_with_registered_substitute": 1,
        "by_category": {
            "elisa": {"products_with_substitute": 1, "products_with_registered_substitute": 1},
            "pcr": {"products_with_substitute": 2, "products_with_registered_substitute": 1},
        },
    }


def test_stats_of_an_empty_registry_and_who_may_read_them(client, keys):
    assert client.get(URL).status_code == 401
    stats = client.get(URL, headers=keys["procurement"]).get_json()
    assert stats["institutions"]["total"] == 0 and stats["reagents"]["by_category"] == {}
    assert stats["import_substitution"] == {
        "products_with_substitute": 0,
        "products_with_registered_substitute": 0,
        "by_category": {},
    }
    response = client.get(f"{URL}?colour=red", headers=keys["procurement"])
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "colour"
