"""First light: create, read, list an institution."""

from tests.builders import institution, post


def test_create_read_list(client, keys):
    created = post(client, "/api/v1/institutions", institution(), keys["clerk"])
    assert created["version"] == 1
    got = client.get(f"/api/v1/institutions/{created['id']}", headers=keys["procurement"])
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    listed = client.get("/api/v1/institutions", headers=keys["procurement"]).get_json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]
