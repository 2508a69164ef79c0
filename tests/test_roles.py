"""The role table of the contract, every role against every /api/v1 endpoint."""

import re

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.records.idempotency import IdempotencyRecord

ALL = {"admin", "clerk", "integration", "procurement"}
CORE = {"admin", "clerk", "integration"}
COOPERATION = {"admin", "clerk"}
CORE_COLLECTIONS = {"institutions", "reagents"}
COOPERATION_COLLECTIONS = {"partnerships", "contacts", "exchanges"}
PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs"}
FAKE_ID = "00000000-0000-4000-8000-000000000000"


def expected_roles(method: str, rule: str) -> set[str]:
    """The contract's §2 table, written out independently of the code's own table."""
    parts = rule.split("/")[3:]  # after /api/v1
    head = parts[0]
    if head in ("audit", "keys"):
        return {"admin"}
    if head == "changes":
        return {"admin", "integration"}
    if method == "GET":
        return ALL
    collection = parts[1] if head == "imports" else head
    if collection in CORE_COLLECTIONS or (head == "imports" and "<" in collection):
        return CORE
    if collection in COOPERATION_COLLECTIONS:
        return COOPERATION
    raise AssertionError(f"no expectation for {method} {rule}")


def endpoints(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC or "assets" in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = re.sub(r"<uuid:[^>]+>", FAKE_ID, rule.rule)
            path = re.sub(r"<[^>]+>", "institutions", path)
            yield method, rule.rule, path


def test_every_endpoint_follows_the_role_table(app, client, keys):
    checked = 0
    for method, rule, path in endpoints(app):
        allowed = expected_roles(method, rule)
        for role in ALL:
            response = client.open(path, method=method, headers=keys[role], json={})
            forbidden = response.status_code == 403
            assert forbidden == (role not in allowed), (method, path, role, response.status_code)
            assert response.status_code != 401
            assert response.status_code < 500, (method, path, response.get_data(as_text=True))
        anonymous = client.open(path, method=method, json={})
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        checked += 1
    assert checked >= 14


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Basic YWRtaW46YWRtaW4=", "Bearer", "bearer  "],
)
def test_bad_credentials_are_401(client, header):
    response = client.get("/api/v1/institutions", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_revoked_key_is_401(client, keys):
    listed = client.get("/api/v1/keys", headers=keys["admin"]).get_json()["items"]
    clerk = next(k for k in listed if k["role"] == "clerk")
    assert client.delete(f"/api/v1/keys/{clerk['id']}", headers=keys["admin"]).status_code == 204
    assert client.get("/api/v1/institutions", headers=keys["clerk"]).status_code == 401


def test_keys_endpoints(client, keys):
    response = client.post(
        "/api/v1/keys", json={"name": "ministry ETL", "role": "integration"}, headers=keys["admin"]
    )
    assert response.status_code == 201
    made = response.get_json()
    assert set(made) >= {"id", "name", "role", "created_at", "key"}
    new = {"Authorization": f"Bearer {made['key']}"}
    assert client.get("/api/v1/changes", headers=new).status_code == 200
    listed = client.get("/api/v1/keys", headers=keys["admin"]).get_json()["items"]
    assert all("key" not in k and "secret_hash" not in k for k in listed)
    mine = next(k for k in listed if k["id"] == made["id"])
    assert mine["last_used_at"] is not None
    bad = client.post("/api/v1/keys", json={"name": "x", "role": "root"}, headers=keys["admin"])
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "role"
    assert client.delete(f"/api/v1/keys/{FAKE_ID}", headers=keys["admin"]).status_code == 404


def test_secrets_are_stored_only_as_hashes(app, client, keys):
    from sqlalchemy import text

    from registry.extensions import db

    secret = keys["admin"]["Authorization"].split()[1]
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM api_keys")).all()
    assert rows and all(secret not in str(row) for row in rows)


def test_keys_list_is_keyset_paged_like_every_list(client, keys):
    admin = keys["admin"]
    for n in range(3):
        client.post("/api/v1/keys", json={"name": f"k{n}", "role": "procurement"}, headers=admin)
    everything = client.get("/api/v1/keys?limit=500", headers=admin).get_json()["items"]
    seen, url = [], "/api/v1/keys?limit=2"
    while url:
        response = client.get(url, headers=admin)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        link = response.headers.get("Link")
        assert (link is None) == (body["next_cursor"] is None)
        url = link[1 : link.index(">")] if link else None
    assert [k["id"] for k in seen] == [k["id"] for k in everything] and len(seen) >= 5
    for query in ("limit=0", "limit=501", f"cursor={FAKE_ID}", "colour=red"):
        response = client.get(f"/api/v1/keys?{query}", headers=admin)
        assert response.status_code == 422, query
        assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


def test_issuing_a_key_is_idempotent_without_storing_its_secret(app, client, keys):
    body = {"name": "ETL", "role": "integration"}
    once = {**keys["admin"], "Idempotency-Key": "issue-etl-1"}
    first = client.post("/api/v1/keys", json=body, headers=once)
    again = client.post("/api/v1/keys", json=body, headers=once)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    secret = first.get_json()["key"]
    works = client.get("/api/v1/changes", headers={"Authorization": f"Bearer {secret}"})
    assert works.status_code == 200
    listed = client.get("/api/v1/keys?limit=500", headers=keys["admin"]).get_json()["items"]
    assert [k["name"] for k in listed].count("ETL") == 1
    assert (
        client.post("/api/v1/keys", json={**body, "name": "ETL 2"}, headers=once).status_code == 409
    )
    twice = {**keys["admin"], "Idempotency-Key": "issue-etl-2"}
    assert client.post("/api/v1/keys", json=body, headers=twice).get_json()["key"] != secret
    with app.app_context():
        stored = db.session.scalars(select(IdempotencyRecord.body)).all()
    assert stored and not any(secret.encode() in (b or b"") for b in stored)
