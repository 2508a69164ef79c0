"""GET /api/v1/audit: who changed what and when, newest first, filtered and keyset-paged."""

from datetime import UTC, datetime, timedelta, timezone

from tests.builders import institution, post, reagent

URL = "/api/v1/audit"


def audit(client, admin: dict, query: str = "") -> dict:
    response = client.get(f"{URL}{query}", headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def history_of_three_actors(client, keys) -> list[str]:
    """Six events by clerk, integration and admin across two collections; their record ids."""
    one = post(client, "/api/v1/institutions", institution(), keys["clerk"])
    two = post(client, "/api/v1/institutions", institution(), keys["integration"])
    client.patch(f"/api/v1/institutions/{one['id']}", json={"city": "Слуцк"}, headers=keys["clerk"])
    listing = post(client, "/api/v1/reagents", reagent(two["id"]), keys["integration"])
    client.delete(f"/api/v1/reagents/{listing['id']}", headers=keys["admin"])
    post(client, "/api/v1/institutions", institution(), keys["admin"])
    return [one["id"], two["id"], listing["id"]]


def test_newest_first_with_who_what_and_when(client, keys):
    one, two, listing = history_of_three_actors(client, keys)
    items = audit(client, keys["admin"])["items"]
    assert [(i["resource"], i["action"], i["actor"]) for i in items] == [
        ("institutions", "created", "admin-tester"),
        ("reagents", "deleted", "admin-tester"),
        ("reagents", "created", "integration-tester"),
        ("institutions", "updated", "clerk-tester"),
        ("institutions", "created", "integration-tester"),
        ("institutions", "created", "clerk-tester"),
    ]
    assert items[3]["id"] == one and items[3]["version"] == 2 and items[1]["id"] == listing
    assert [i["seq"] for i in items] == sorted((i["seq"] for i in items), reverse=True)
    assert all(i["at"].endswith("Z") for i in items)


def test_filters_by_actor_and_resource(client, keys):
    history_of_three_actors(client, keys)
    by_clerk = audit(client, keys["admin"], "?actor=clerk-tester")["items"]
    assert [(i["action"], i["actor"]) for i in by_clerk] == [
        ("updated", "clerk-tester"),
        ("created", "clerk-tester"),
    ]
    reagents = audit(client, keys["admin"], "?resource=reagents")["items"]
    assert [i["action"] for i in reagents] == ["deleted", "created"]
    both = audit(client, keys["admin"], "?resource=institutions&actor=integration-tester")
    assert [(i["resource"], i["action"]) for i in both["items"]] == [("institutions", "created")]
    assert audit(client, keys["admin"], "?actor=nobody")["items"] == []


def test_filters_by_since(client, keys):
    history_of_three_actors(client, keys)
    items = audit(client, keys["admin"])["items"]
    third_oldest = items[-3]["at"]
    since = audit(client, keys["admin"], f"?since={third_oldest}")["items"]
    assert [i["seq"] for i in since] == [i["seq"] for i in items[:-2]]
    moment = datetime.fromisoformat(third_oldest.replace("Z", "+00:00"))
    in_minsk = moment.astimezone(timezone(timedelta(hours=3))).isoformat()
    assert in_minsk.endswith("+03:00")
    offset = audit(client, keys["admin"], "?since=" + in_minsk.replace("+", "%2B"))["items"]
    assert [i["seq"] for i in offset] == [i["seq"] for i in since]
    today = datetime.now(UTC).date()
    assert len(audit(client, keys["admin"], f"?since={today}")["items"]) == 6
    tomorrow = today + timedelta(days=1)
    assert audit(client, keys["admin"], f"?since={tomorrow}")["items"] == []
    response = client.get(f"{URL}?since=yesterday", headers=keys["admin"])
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "since"


def test_keyset_paging_with_next_cursor_and_link(client, keys):
    history_of_three_actors(client, keys)
    everything = [i["seq"] for i in audit(client, keys["admin"])["items"]]
    seen, query, pages = [], "?limit=4", 0
    while True:
        response = client.get(f"{URL}{query}", headers=keys["admin"])
        body = response.get_json()
        seen += [i["seq"] for i in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            assert "Link" not in response.headers
            break
        link = response.headers["Link"]
        assert link.startswith("<") and link.endswith('>; rel="next"')
        assert f"cursor={body['next_cursor']}" in link and "limit=4" in link
        query = link[1 : link.index(">")].removeprefix(URL)
    assert seen == everything and pages == 2
    filtered = audit(client, keys["admin"], "?resource=institutions&limit=2")
    rest = audit(
        client, keys["admin"], f"?resource=institutions&limit=2&cursor={filtered['next_cursor']}"
    )
    assert {i["resource"] for i in filtered["items"] + rest["items"]} == {"institutions"}
    assert len(filtered["items"] + rest["items"]) == 4 and rest["next_cursor"] is None


def test_only_admins_and_valid_parameters(client, keys):
    for role in ("clerk", "integration", "procurement"):
        assert client.get(URL, headers=keys[role]).status_code == 403
    assert client.get(URL).status_code == 401
    bad = (
        "?limit=0",
        "?limit=501",
        "?cursor=abc",
        "?cursor=１",
        "?colour=red",
        "?since=2024-13-01",
    )
    for query in (*bad, "?resource=bogus", "?cursor=0"):
        assert client.get(f"{URL}{query}", headers=keys["admin"]).status_code == 422, query
