"""`q` over HTTP on reagents and institutions: the indexes answer as LIKE over search_text would."""

from datetime import datetime, timedelta

import pytest
from flask_migrate import upgrade

from registry import create_app
from registry.auth import issue_key
from registry.config import TestConfig
from registry.extensions import db
from registry.institutions.api import institutions
from registry.reagents.api import reagents
from registry.records.lifecycle import save_record
from registry.search.text import record_matches
from tests.builders import chongqing_institution, every_id, institution, post, reagent
from tests.test_migrations import empty_url  # noqa: F401 (a fixture: an empty database)

REAGENTS = "/api/v1/reagents"
INSTITUTIONS = "/api/v1/institutions"


def found(client, keys, path: str, q: str, **query) -> set[str]:
    response = client.get(
        path, query_string={"q": q, "limit": 500, **query}, headers=keys["procurement"]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


@pytest.fixture(params=["look up", "look up a window", "walk", "common words"], autouse=True)
def plan(request, monkeypatch) -> None:
    """Every way a search runs: candidates looked up one by one (sorted by update, through a
    window of them on SQLite), the sort order walked with the index's candidates, or (words
    too common for the index to narrow) with LIKE alone."""
    if request.param == "look up a window":
        monkeypatch.setattr("registry.search.index.WINDOW_FROM", 0)
    if request.param == "walk":
        monkeypatch.setattr("registry.search.index.DRIVE", -1)
    if request.param == "common words":
        monkeypatch.setattr("registry.search.index.MIN_COMMON", 1)
        monkeypatch.setattr("registry.search.index.COMMON_SHARE", 10**9)


@pytest.fixture
def world(client, keys) -> dict:
    """A few institutions and listings in Russian, Belarusian, Chinese and English."""
    made = {
        "minsk": post(
            client,
            INSTITUTIONS,
            institution(
                names={
                    "ru": "Минская областная клиническая больница",
                    "be": "Мінская абласная бальніца",
                },
                identifiers=[{"scheme": "by_unp", "value": "100000007"}],
            ),
            keys["clerk"],
        ),
        "chongqing": post(
            client,
            INSTITUTIONS,
            chongqing_institution(
                names={"zh": "重庆市第一人民医院", "en": "Chongqing First People's Hospital"}
            ),
            keys["clerk"],
        ),
        "lab": post(
            client,
            INSTITUTIONS,
            institution(names={"en": "Lab 100% Pure_Water a\\b"}),
            keys["clerk"],
        ),
    }
    supplier = made["chongqing"]["id"]
    listings = {
        "hbv": reagent(
            supplier,
            names={"ru": "Набор для выявления гепатита B", "zh": "乙型肝炎病毒检测试剂盒"},
            catalog_number="HBV-96",
            substitutes=[{"product": "cobas HBV", "manufacturer": "Roche Diagnostics"}],
        ),
        "hcv": reagent(
            supplier,
            names={
                "ru": "Тест-система ИФА антител к вирусу гепатита C",
                "zh": "丙型肝炎抗体检测试剂盒",
            },
            catalog_number="HCV-ELISA",
            substitutes=[{"product": "ARCHITECT Anti-HCV", "manufacturer": "Abbott"}],
        ),
        "glucose": reagent(
            supplier,
            names={"en": "Glucose GOD-PAP 100% liquid", "zh": "葡萄糖测定试剂盒"},
            catalog_number="GLU_500",
        ),
        "syphilis": reagent(
            supplier, names={"ru": "Сифилис экспресс-тест", "zh": "梅毒"}, catalog_number="TP-1"
        ),
    }
    for name, body in listings.items():
        made[name] = post(client, REAGENTS, body, keys["clerk"])
        made[name]["_searchable"] = [
            *body["names"].values(),
            body["catalog_number"],
            *(s["product"] for s in body.get("substitutes", [])),
            *(s["manufacturer"] for s in body.get("substitutes", [])),
        ]
    return made


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("肝炎", {"hbv", "hcv"}),  # two Chinese characters
        ("肝", {"hbv", "hcv"}),  # one
        ("乙型肝炎", {"hbv"}),  # four: the trigram index
        ("梅毒", {"syphilis"}),  # a whole field of two characters
        ("ganyan", {"hbv", "hcv"}),  # pinyin finds Hanzi
        ("gepatit", {"hbv", "hcv"}),  # Latin finds Cyrillic
        ("ГЕПАТИТА", {"hbv", "hcv"}),  # Cyrillic in any case
        ("гепатита c", {"hbv", "hcv"}),  # a one-letter word: C, and cobas
        ("ти ифа", {"hcv"}),  # a two-letter word beside a long one
        ("b", {"hbv", "hcv"}),  # B; abbott
        ("roche гепатит", {"hbv"}),  # words in different fields, ANDed
        ("roche сифилис", set()),
        ("肝炎 abbott", {"hcv"}),  # a short Chinese word and a long Latin one
        ("肝炎 梅毒", set()),
        ("hbv-96", {"hbv"}),  # catalog number
        ("cobas", {"hbv"}),  # substituted product
        ("100%", {"glucose"}),  # % is a character, not a wildcard
        ("glu_500", {"glucose"}),  # and so is _
        ("glu_5", {"glucose"}),
        ("glux500", set()),
        ("100x", set()),
        ('"гепатита', set()),  # FTS syntax is text too
        ("AND", set()),
        ("hbv*", set()),
        ("тест-система", {"hcv"}),
    ],
)
def test_reagent_search(client, keys, world, q, expected):
    assert found(client, keys, REAGENTS, q) == {world[name]["id"] for name in expected}
    oracle = {
        n
        for n in ("hbv", "hcv", "glucose", "syphilis")
        if record_matches(world[n]["_searchable"], q)
    }
    assert oracle == expected  # the LIKE semantics the indexes must reproduce


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("重庆", {"chongqing"}),
        ("chongqing", {"chongqing"}),
        ("chong qing renmin", {"chongqing"}),
        ("重", {"chongqing"}),
        ("minsk", {"minsk"}),  # Минская
        ("МИНСКАЯ", {"minsk"}),
        ("мінская", {"minsk"}),  # Belarusian name
        ("bolnitsa", {"minsk"}),
        ("100%", {"lab"}),
        ("pure_water", {"lab"}),
        ("a\\b", {"lab"}),
        ("a\\", {"lab"}),
        ("pure%water", set()),
        ("h", {"minsk", "chongqing"}),  # Hospital; klinicheskaya
        ("100000007", {"minsk"}),  # an identifier value
        ("00000", {"minsk"}),
    ],
)
def test_institution_search(client, keys, world, q, expected):
    assert found(client, keys, INSTITUTIONS, q) == {world[n]["id"] for n in expected}
    searchable = {
        n: [*world[n]["names"].values(), *(i["value"] for i in world[n].get("identifiers", []))]
        for n in ("minsk", "chongqing", "lab")
    }
    assert {n for n, values in searchable.items() if record_matches(values, q)} == expected


def test_search_combines_with_filters_and_paging(client, keys, world):
    assert found(client, keys, REAGENTS, "肝炎", category="pcr") == {
        world["hbv"]["id"],
        world["hcv"]["id"],
    }
    assert found(client, keys, REAGENTS, "肝炎", category="elisa") == set()
    first = client.get(
        REAGENTS, query_string={"q": "gepatit", "limit": 1}, headers=keys["procurement"]
    ).get_json()
    second = client.get(
        REAGENTS,
        query_string={"q": "gepatit", "limit": 1, "cursor": first["next_cursor"]},
        headers=keys["procurement"],
    ).get_json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {
        world["hbv"]["id"],
        world["hcv"]["id"],
    }
    assert second["next_cursor"] is None
    facets = client.get(
        REAGENTS, query_string={"q": "肝炎", "facets": "category"}, headers=keys["procurement"]
    ).get_json()["facets"]
    assert facets == {"category": {"pcr": 2}}


def test_pages_sorted_by_update_come_in_order_across_seconds(client, keys, monkeypatch):
    """SQLite reads the newest (or oldest) candidates first and keeps to their seconds; a page
    the window cannot fill (a filter rejects its candidates) is read without it."""
    supplier = post(client, INSTITUTIONS, chongqing_institution(), keys["clerk"])["id"]
    start = datetime(2026, 3, 1, 12, 0, 0)
    # (seconds after start, microseconds, category): ties within a second and on the instant.
    moments = [(0, 5, "pcr"), (0, 5, "pcr"), (0, 9, "elisa"), (1, 0, "pcr"), (3, 1, "elisa")]
    moments += [(3, 1, "pcr"), (3, 2, "pcr"), (7, 0, "elisa"), (8, 0, "pcr"), (8, 0, "pcr")]
    moments += [(9, 0, "elisa"), (9, 1, "elisa"), (9, 2, "elisa"), (9, 3, "elisa")]
    made = []
    for seconds, micro, category in moments:
        moment = start + timedelta(seconds=seconds, microseconds=micro)
        monkeypatch.setattr("registry.records.lifecycle.utcnow", lambda moment=moment: moment)
        names = {"ru": "Набор для выявления гепатита C", "en": "HCV kit"}
        body = reagent(supplier, names=names, category=category)
        made.append((moment, post(client, REAGENTS, body, keys["clerk"])["id"], category))
    post(client, REAGENTS, reagent(supplier), keys["clerk"])  # not a match
    for category in (None, "pcr"):
        chosen = sorted((m, i) for m, i, c in made if category in (None, c))
        for limit in (1, 2, 3):
            query = {"q": "гепатита", "limit": limit}
            if category:
                query["category"] = category
            newest = every_id(client, REAGENTS, keys["procurement"], **query)
            assert newest == [i for _, i in reversed(chosen)], (category, limit)
            oldest = every_id(client, REAGENTS, keys["procurement"], **query, sort="updated_at")
            assert oldest == [i for _, i in chosen], (category, limit)


def test_changes_and_deletes_reach_the_index(client, keys, world):
    hbv = world["hbv"]
    changed = client.patch(
        f"{REAGENTS}/{hbv['id']}",
        json={"names": {"zh": "艾滋病检测", "ru": None}},
        headers=keys["clerk"],
    )
    assert changed.status_code == 200
    assert found(client, keys, REAGENTS, "艾滋") == {hbv["id"]}
    assert found(client, keys, REAGENTS, "aizibing") == {hbv["id"]}
    assert found(client, keys, REAGENTS, "乙型") == set()
    assert found(client, keys, REAGENTS, "гепатита") == {world["hcv"]["id"]}
    assert client.delete(f"{REAGENTS}/{hbv['id']}", headers=keys["clerk"]).status_code == 204
    assert found(client, keys, REAGENTS, "艾滋") == set()
    assert found(client, keys, REAGENTS, "cobas") == set()


def test_indexes_are_built_over_records_made_before_them(empty_url):  # noqa: F811
    app = create_app(TestConfig(empty_url))
    with app.app_context():
        upgrade(revision="0001")
        supplier, _ = save_record(institutions, payload=chongqing_institution(), actor="t")
        save_record(
            reagents, payload=reagent(supplier.id, names={"zh": "梅毒螺旋体抗体"}), actor="t"
        )
        _, secret = issue_key(name="late", role="procurement")
        db.session.commit()
        upgrade()
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for q, path in (("梅毒", REAGENTS), ("螺旋体", REAGENTS), ("chongqing", INSTITUTIONS)):
        items = client.get(path, query_string={"q": q}, headers=headers).get_json()["items"]
        assert len(items) == 1, q
    with app.app_context():
        db.engine.dispose()
