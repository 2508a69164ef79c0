"""`flask demo load`: the 2023 meetings on the shared lifecycle, and nothing new a second time."""

COLLECTIONS = ("institutions", "partnerships", "contacts", "exchanges", "reagents")


def _load(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(client, headers) -> dict[str, int]:
    counts = {}
    for name in COLLECTIONS:
        response = client.get(f"/api/v1/{name}?limit=500", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        counts[name] = len(response.get_json()["items"])
    return counts


def test_loading_twice_changes_nothing_the_second_time(app, client, keys):
    assert "created 9 institutions, 3 contacts, 2 partnerships, 2 exchanges" in _load(app)
    first = _counts(client, keys["admin"])
    assert first == {
        "institutions": 9,
        "partnerships": 2,
        "contacts": 3,
        "exchanges": 2,
        "reagents": 50,
    }
    feed = client.get("/api/v1/changes?limit=1000", headers=keys["admin"]).get_json()
    assert len(feed["items"]) == sum(first.values())

    assert "created 0 institutions, 0 contacts, 0 partnerships, 0 exchanges, 0 reagents" in _load(
        app
    )
    assert _counts(client, keys["admin"]) == first
    later = client.get(f"/api/v1/changes?since={feed['next_since']}", headers=keys["admin"])
    assert later.get_json()["items"] == []


def test_the_2023_meetings(app, client, keys):
    _load(app)
    headers = keys["procurement"]
    meetings = client.get(
        "/api/v1/exchanges?from=2023-06-29&to=2023-08-10&sort=created_at", headers=headers
    ).get_json()["items"]
    assert [(m["starts_on"], m["kind"], m["status"]) for m in meetings] == [
        ("2023-06-29", "meeting", "held"),
        ("2023-08-10", "delegation_visit", "held"),
    ]
    signing = meetings[1]
    people = [
        client.get(f"/api/v1/contacts/{i}", headers=headers).get_json()
        for i in signing["contact_ids"]
    ]
    assert [p["full_name"]["en"] for p in people] == ["Qu Qian", "Denis Kurlenko"]
    for person in people:
        assert not {"email", "phone", "messengers"} & person.keys()

    tie = client.get(f"/api/v1/partnerships/{signing['partnership_id']}", headers=headers)
    assert tie.get_json()["agreement"]["signed_on"] == "2023-08-10"
    tcm = client.get("/api/v1/partnerships?area=tcm&q=中医院", headers=headers).get_json()["items"]
    assert [(p["status"], p["agreement"]["number"]) for p in tcm] == [("signed", "Road map 2023")]

    park = client.get("/api/v1/institutions?q=great stone", headers=headers).get_json()["items"]
    assert [(p["region"], p["district"]) for p in park] == [("BY-MI", "smolevichi")]
    history = client.get(f"/api/v1/exchanges/{signing['id']}/history", headers=headers)
    assert [(i["action"], i["actor"]) for i in history.get_json()["items"]] == [("created", "demo")]
