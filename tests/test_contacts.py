"""Contacts: validation, who sees personal data, filters, and erasure proven in the database."""

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.records import RecordEvent
from tests.builders import contact, error_fields, exchange, institution, post

URL = "/api/v1/contacts"
MISSING = "00000000-0000-4000-8000-000000000000"
PRIVATE = ("email", "phone", "messengers")


@pytest.fixture
def place(client, keys) -> str:
    return post(client, "/api/v1/institutions", institution(), keys["clerk"])["id"]


def full(place: str, **overrides) -> dict:
    return contact(
        place,
        full_name={"ru": "Жанна Ковалевская", "en": "Zhanna Kovalevskaya", "zh": "扎娜"},
        position="Главный врач",
        roles=["coordinator", "medical_specialist"],
        languages=["ru", "ZH"],
        email="Zhanna.K@Example.BY",
        phone="+375 29 123-45-67",
        messengers={"wechat": "zhanna_k", "telegram": "@zhannak"},
        consent={"given": False, "recorded_on": "2024-03-01"},
        **overrides,
    )


def test_round_trip_and_normalisation(client, keys, place):
    response = client.post(URL, json=full(place), headers=keys["clerk"])
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    created = response.get_json()
    assert created["phone"] == "+375291234567"
    assert created["email"] == "Zhanna.K@example.by"
    assert created["languages"] == ["ru", "zh"]
    assert created["messengers"] == {"wechat": "zhanna_k", "telegram": "@zhannak"}
    assert created["consent"] == {"given": False, "recorded_on": "2024-03-01"}
    got = client.get(f"{URL}/{created['id']}", headers=keys["admin"])
    assert got.get_json() == created and got.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"institution_id": MISSING}, "institution_id"),
        ({"full_name": {}}, "full_name"),
        ({"full_name": {"fr": "Jeanne"}}, "full_name.fr"),
        ({"roles": ["boss"]}, "roles.0"),
        ({"roles": ["student", "student"]}, "roles.1"),
        ({"languages": ["rus"]}, "languages.0"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "8 029 123-45-67"}, "phone"),
        ({"phone": "+375 12"}, "phone"),
        ({"messengers": {"skype": "x"}}, "messengers.skype"),
        ({"messengers": {"wechat": "x" * 301}}, "messengers.wechat"),
        ({"consent": {"given": "yes"}}, "consent.given"),
        ({"consent": {"recorded_on": "2024-03-01"}}, "consent.given"),
        ({"consent": {"given": True, "recorded_on": "01.03.2024"}}, "consent.recorded_on"),
        ({"consent": {"given": True, "recorded_on": "2999-01-01"}}, "consent.recorded_on"),
        ({"position": "x" * 301}, "position"),
    ],
)
def test_validation(client, keys, place, overrides, field):
    body = {**contact(place), **overrides}
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {field}


def test_full_name_is_required(client, keys, place):
    body = contact(place)
    del body["full_name"]
    assert error_fields(client.post(URL, json=body, headers=keys["clerk"])) == {"full_name"}


def _everywhere(client, headers, record_id: str) -> list[dict]:
    """The record as one key sees it through get, list, history and both exports."""
    got = client.get(f"{URL}/{record_id}", headers=headers).get_json()
    listed = client.get(URL, headers=headers).get_json()["items"]
    history = client.get(f"{URL}/{record_id}/history", headers=headers).get_json()["items"]
    ndjson = client.get(f"{URL}?format=ndjson", headers=headers)
    assert ndjson.headers["Cache-Control"] == "no-store"
    import orjson

    exported = [orjson.loads(line) for line in ndjson.get_data().splitlines()]
    return [got, *listed, *(item["record"] for item in history), *exported]


@pytest.mark.parametrize("role", ["integration", "procurement"])
def test_personal_data_needs_consent_for_other_roles(client, keys, place, role):
    record = post(client, URL, full(place), keys["clerk"])
    client.patch(f"{URL}/{record['id']}", json={"position": "Врач"}, headers=keys["clerk"])
    for doc in _everywhere(client, keys[role], record["id"]):
        assert not set(PRIVATE) & doc.keys() and doc["full_name"]["en"] == "Zhanna Kovalevskaya"
    csv = client.get(f"{URL}?format=csv", headers=keys[role]).get_data(as_text=True)
    assert "Zhanna Kovalevskaya" in csv and "+375291234567" not in csv and "zhanna_k" not in csv
    for boss in ("admin", "clerk"):
        for doc in _everywhere(client, keys[boss], record["id"]):
            assert doc["phone"] == "+375291234567"
    consent = {"consent": {"given": True, "recorded_on": "2024-04-01"}}
    client.patch(f"{URL}/{record['id']}", json=consent, headers=keys["clerk"])
    got = client.get(f"{URL}/{record['id']}", headers=keys[role]).get_json()
    assert got["phone"] == "+375291234567" and got["messengers"]["wechat"] == "zhanna_k"


@pytest.mark.parametrize("role", ["integration", "procurement"])
def test_withdrawn_consent_hides_personal_data_in_history_too(client, keys, place, role):
    given = {"consent": {"given": True, "recorded_on": "2024-04-01"}}
    record = post(client, URL, {**full(place), **given}, keys["clerk"])
    history = f"{URL}/{record['id']}/history"
    shown = client.get(history, headers=keys[role]).get_json()["items"]
    assert shown[0]["record"]["phone"] == "+375291234567"
    withdrawn = {"consent": {"given": False, "recorded_on": "2024-05-01"}}
    client.patch(f"{URL}/{record['id']}", json=withdrawn, headers=keys["clerk"])
    for doc in _everywhere(client, keys[role], record["id"]):
        assert not set(PRIVATE) & doc.keys()
    kept = client.get(history, headers=keys["clerk"]).get_json()["items"]
    assert kept[0]["record"]["phone"] == "+375291234567"


def test_filters_and_search(client, keys, place):
    other_place = post(client, "/api/v1/institutions", institution(), keys["clerk"])["id"]
    zhanna = post(client, URL, full(place), keys["clerk"])
    li = post(
        client,
        URL,
        contact(
            other_place,
            full_name={"zh": "李明", "en": "Li Ming"},
            position="Interpreter",
            roles=["interpreter"],
            languages=["zh", "en"],
            email="li.ming@example.cn",
            consent={"given": True},
        ),
        keys["clerk"],
    )

    def ids(query: str, role: str = "clerk") -> list[str]:
        response = client.get(f"{URL}?{query}", headers=keys[role])
        assert response.status_code == 200, response.get_data(as_text=True)
        return [c["id"] for c in response.get_json()["items"]]

    assert ids(f"institution_id={place}") == [zhanna["id"]]
    assert ids("role=interpreter") == [li["id"]]
    assert ids("role=coordinator") == [zhanna["id"]]
    assert set(ids("language=zh")) == {zhanna["id"], li["id"]}
    assert ids("language=en") == [li["id"]]
    assert ids("q=ковалевская") == [zhanna["id"]]
    assert ids("q=李明") == [li["id"]]
    assert ids("q=главный") == [zhanna["id"]]
    assert ids("q=interpreter ming") == [li["id"]]
    assert ids("sort=name") == [li["id"], zhanna["id"]]  # li ming < жанна
    # E-mail is searchable only by those who may see it.
    assert ids("q=zhanna.k@example") == [zhanna["id"]]
    assert ids("q=zhanna.k@example", "procurement") == []
    assert ids("q=li.ming@example", "procurement") == [li["id"]]
    for bad in ("role=boss", "language=xyz", "institution_id=1"):
        assert error_fields(client.get(f"{URL}?{bad}", headers=keys["clerk"])) == {
            bad.split("=")[0]
        }


def _database_text(app) -> str:
    """Every row of every table, as text: what an erasure must have left behind."""
    with app.app_context():
        rows = []
        for table in db.metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in db.session.execute(select(table)))
        return "\n".join(rows).lower()


def test_delete_erases_the_person_everywhere(app, client, keys, place):
    headers = {**keys["clerk"], "Idempotency-Key": "contact-1"}
    response = client.post(URL, json=full(place), headers=headers)
    record = response.get_json()
    client.patch(f"{URL}/{record['id']}", json={"position": "Заведующая"}, headers=keys["clerk"])
    meeting = post(
        client, "/api/v1/exchanges", exchange([place], contact_ids=[record["id"]]), keys["clerk"]
    )
    secrets = (
        "Ковалевская",
        "Kovalevskaya",
        "扎娜",
        "Главный врач",
        "Заведующая",
        "zhanna.k@example",
        "+375291234567",
        "zhanna_k",
        "@zhannak",
    )
    before = _database_text(app)
    assert all(s.lower() in before for s in secrets)

    deleted = client.delete(f"{URL}/{record['id']}", headers=keys["admin"])
    assert deleted.status_code == 204
    assert client.get(f"{URL}/{record['id']}", headers=keys["admin"]).status_code == 404
    after = _database_text(app)
    assert [s for s in secrets if s.lower() in after] == []
    assert "kovalevsk" not in after and "koval" not in after and "375291234567" not in after

    with app.app_context():
        events = db.session.scalars(
            select(RecordEvent)
            .where(RecordEvent.record_id == record["id"])
            .order_by(RecordEvent.seq)
        ).all()
        assert [e.action for e in events] == ["created", "updated", "deleted"]
        assert events[-1].actor == "admin-tester" and events[-1].at is not None
        assert events[0].snapshot["roles"] == ["coordinator", "medical_specialist"]
    history = client.get(f"{URL}/{record['id']}/history", headers=keys["admin"]).get_json()
    assert [i["action"] for i in history["items"]] == ["created", "updated", "deleted"]
    assert "full_name" not in history["items"][0]["record"]
    audit = client.get("/api/v1/audit?resource=contacts", headers=keys["admin"]).get_json()
    assert audit["items"][0]["id"] == record["id"] and audit["items"][0]["action"] == "deleted"
    assert audit["items"][0]["actor"] == "admin-tester"

    kept = client.get(f"/api/v1/exchanges/{meeting['id']}", headers=keys["clerk"]).get_json()
    assert kept["contact_ids"] == [record["id"]]
    # The stored reply went with the person: the same key now makes a new record.
    again = client.post(URL, json=full(place), headers=headers)
    assert "Idempotent-Replayed" not in again.headers and again.get_json()["id"] != record["id"]


def test_an_exchange_keeps_an_erased_contact_but_takes_no_unknown_one(client, keys, place):
    record = post(client, URL, contact(place), keys["clerk"])
    meeting = post(
        client, "/api/v1/exchanges", exchange([place], contact_ids=[record["id"]]), keys["clerk"]
    )
    assert client.delete(f"{URL}/{record['id']}", headers=keys["clerk"]).status_code == 204
    path = f"/api/v1/exchanges/{meeting['id']}"
    renamed = client.patch(path, json={"title": "Renamed"}, headers=keys["clerk"])
    assert renamed.status_code == 200 and renamed.get_json()["contact_ids"] == [record["id"]]
    added = client.patch(path, json={"contact_ids": [record["id"], MISSING]}, headers=keys["clerk"])
    assert error_fields(added) == {"contact_ids.1"}


def test_an_institution_with_contacts_cannot_be_deleted(client, keys, place):
    record = post(client, URL, contact(place), keys["clerk"])
    refused = client.delete(f"/api/v1/institutions/{place}", headers=keys["clerk"])
    assert refused.status_code == 409 and "contacts" in refused.get_json()["detail"]
    assert client.delete(f"{URL}/{record['id']}", headers=keys["clerk"]).status_code == 204
    assert client.delete(f"/api/v1/institutions/{place}", headers=keys["clerk"]).status_code == 204


@pytest.mark.parametrize("role", ["integration", "procurement"])
def test_only_admin_and_clerk_write(client, keys, place, role):
    assert client.post(URL, json=contact(place), headers=keys[role]).status_code == 403
