"""How a search runs: the same answers (test_search.py), by the cheaper road."""

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.reagents.model import Reagent
from registry.records import driver, listing
from registry.search import index
from registry.search.index import indexed_search
from tests.builders import chongqing_institution, every_id, post, reagent

REAGENTS = "/api/v1/reagents"
START = datetime(2026, 3, 1, 12, 0, 0)
HEPATITIS = "Набор для выявления гепатита C"


@pytest.fixture
def listed(app, client, keys, monkeypatch):
    """SQLite, where every search of many candidates reads a window: `listed(moment, name)`
    makes a listing last changed at that moment and gives its id."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL has no window")
    monkeypatch.setattr(index, "DRIVE", -1)  # many candidates: a window is read
    supplier = post(client, "/api/v1/institutions", chongqing_institution(), keys["clerk"])["id"]

    def make(moment: datetime, name: str = HEPATITIS, **fields) -> str:
        monkeypatch.setattr("registry.records.lifecycle.utcnow", lambda: moment)
        body = reagent(supplier, names={"ru": name}, **fields)
        return post(client, REAGENTS, body, keys["clerk"])["id"]

    return make


def test_one_common_long_word_walks_the_sort_order(app, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite chooses with its own statistics (test_search.py's plans)")
        search = indexed_search(Reagent)

        def sql(*words: str) -> str:
            return str(search(select(Reagent.id), list(words)).compile(db.engine))

        # A rare word (none here): pg_trgm's index finds its few records.
        assert "LIKE" in sql("креатинина") and "strpos" not in sql("креатинина")
        monkeypatch.setattr(index, "DRIVE", -1)  # every word is common now
        # Fetching every match of a common word to sort them cost twice the walk.
        assert "strpos" in sql("креатинина") and "LIKE" not in sql("креатинина")
        # Two words may be rare together: the index keeps them.
        assert "strpos" not in sql("креатинина", "набор")


def page_plans(monkeypatch, statements: list[str] | None = None) -> list[str]:
    """How each page statement of the requests to come met a window's candidates, as SQLite
    plans it: "looked up" (rowid by rowid) or "walked" (the sort order's index). Given a
    list, every page statement's SQL goes into it too, whatever its sort."""
    pages = []
    read = driver.driver_rows

    def seen(connection, statement, params):
        if statements is not None and "FROM reagents " in statement and "ORDER BY" in statement:
            statements.append(statement)
        if "ORDER BY reagents.updated_at" in statement:
            plan = connection.connection.driver_connection.execute(
                f"EXPLAIN QUERY PLAN {statement}", params
            )
            steps = " ".join(str(step[-1]) for step in plan)
            looked_up = "SEARCH reagents USING INTEGER PRIMARY KEY" in steps
            walked = "reagents USING INDEX ix_reagents_updated" in steps  # from a cursor too
            assert looked_up != walked, steps
            pages.append("looked up" if looked_up else "walked")
        return read(connection, statement, params)

    monkeypatch.setattr(driver, "driver_rows", seen)
    return pages


def test_a_window_of_whole_seconds_is_looked_up_and_a_crowded_second_walked(
    client, keys, listed, monkeypatch
):
    """SQLite, sorted by update: the candidates of the seconds read whole are looked up one by
    one when they hold a page; when the last second read may hold more of them than were read,
    SQLite walks the sort order over it instead. Either way the pages are exact."""

    def made_at(moment: datetime) -> tuple[datetime, str]:
        return moment, listed(moment)

    made = [made_at(START + timedelta(seconds=n)) for n in range(8)]
    pages = page_plans(monkeypatch)

    def first_page(limit: int, sort: str = "-updated_at") -> tuple[list[str], str]:
        """The first page's ids, and how its one statement met the window's candidates."""
        pages.clear()
        query = {"q": "гепатита", "limit": limit, "sort": sort}
        response = client.get(REAGENTS, query_string=query, headers=keys["clerk"])
        assert len(pages) == 1  # the window filled the page: nothing ran again
        return [item["id"] for item in response.get_json()["items"]], pages[0]

    # Limit 1 (two rows wanted) reads three candidates: the first two seconds hold a page.
    assert first_page(1) == ([made[-1][1]], "looked up")
    crowded = START + timedelta(seconds=30)
    made += [made_at(crowded + timedelta(microseconds=n)) for n in (7, 3, 9, 1, 5)]
    # All four read are of one second: the walk over it fills the page.
    assert first_page(1) == ([made[-3][1]], "walked")  # the crowded second's latest
    packed = START - timedelta(seconds=10)
    made += [made_at(packed + timedelta(microseconds=n)) for n in (4, 8, 2, 6, 0)]
    assert first_page(1, "updated_at") == ([made[-1][1]], "walked")  # oldest first, likewise
    # Fewer candidates than a window reads: all are looked up.
    newest = [i for _, i in sorted(made, reverse=True)]
    assert first_page(20) == (newest, "looked up")
    for limit in (1, 2, 3, 20):
        query = {"q": "гепатита", "limit": limit}
        assert every_id(client, REAGENTS, keys["clerk"], **query) == newest, limit
        oldest = every_id(client, REAGENTS, keys["clerk"], **query, sort="updated_at")
        assert oldest == [i for _, i in sorted(made)], limit


def test_a_window_and_its_page_are_read_in_one_snapshot(app, client, keys, listed, monkeypatch):
    """SQLite: what other writers commit between reading a window's candidates and reading
    the page does not mix into it: the page is the one the first read saw."""
    with app.app_context():
        path = db.engine.url.database
    a, b, c = (listed(START + timedelta(seconds=n)) for n in (5, 4, 3))
    for n in (2, 1):
        listed(START + timedelta(seconds=n))
    d = listed(START + timedelta(seconds=10), "Набор для выявления сифилиса")
    read = index.driver_rows

    def meanwhile(connection, statement, params):
        found = read(connection, statement, params)
        # Another writer: c changes last, and d comes to match the search.
        other = sqlite3.connect(path)
        other.create_function("registry_hanzi_grams", 1, index.hanzi_gram_text)
        later = (START + timedelta(seconds=20)).strftime("%Y-%m-%d %H:%M:%S.%f")  # as stored
        other.execute("UPDATE reagents SET updated_at = ? WHERE id = ?", (later, c))
        other.execute(
            "UPDATE reagents SET search_text = search_text || ' гепатита' WHERE id = ?", (d,)
        )
        other.commit()
        other.close()
        return found

    monkeypatch.setattr(index, "driver_rows", meanwhile)
    query = {"q": "гепатита", "limit": 2}
    page = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    assert [item["id"] for item in page["items"]] == [a, b]  # as before the writer's changes
    monkeypatch.setattr(index, "driver_rows", read)
    page = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    assert [item["id"] for item in page["items"]] == [c, d]  # as after them


def test_a_window_looks_up_no_candidate_of_a_second_it_did_not_read_whole(client, keys, listed):
    """SQLite: when LIKE rejects the candidates of the seconds read whole, the page is not
    made of the last second's candidates that were read: that second's others may come
    first."""
    decoy = "Гепард, патина, титан"  # every trigram of гепатита, not the word
    # Second 7: the latest instant is written first, so the index hands out the others first.
    second = START + timedelta(seconds=7)
    latest = listed(second + timedelta(microseconds=900))
    for micro in (100, 200):
        listed(second + timedelta(microseconds=micro))
    for n in (8, 9):
        listed(START + timedelta(seconds=n), decoy)
    query = {"q": "гепатита", "limit": 1}
    page = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    assert [item["id"] for item in page["items"]] == [latest]


def test_a_window_that_filters_thin_out_is_read_again_sized_by_the_share_that_passed(
    client, keys, listed, monkeypatch
):
    """SQLite: when a filter passes a third of the first window's candidates, a second
    window of about three times as many fills the page; the search does not run whole."""
    made = [
        (n, listed(START + timedelta(seconds=n), availability=("in_stock" if n % 3 else None)))
        for n in range(60)
    ]
    in_stock = [i for n, i in sorted(made, reverse=True) if n % 3]
    pages = page_plans(monkeypatch)
    query = {"q": "гепатита", "availability": "in_stock", "limit": 9}
    page = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    assert [item["id"] for item in page["items"]] == in_stock[:9]
    # Ten rows wanted: 13 candidates read, the 12 of whole seconds looked up, 8 passed; then
    # 12.5 / (8 / 12) = 19 read, and the 12 of their 18 that pass fill the page.
    assert pages == ["looked up", "looked up"]
    assert every_id(client, REAGENTS, keys["clerk"], **query) == in_stock
    # Nothing of the first window passes: no share to size a second one by; it runs whole.
    pages.clear()
    query["availability"] = "on_order"
    assert client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()["items"] == []
    assert pages == ["looked up", "walked"]


def test_a_page_has_one_cursor_whichever_road_it_took(client, keys, listed, monkeypatch):
    """The window's page statement (its candidates looked up) and the whole search read the
    sort keys that a cursor carries alike."""
    for n in range(6):
        listed(START + timedelta(seconds=n))
    query = {"q": "гепатита", "limit": 2}
    pages = page_plans(monkeypatch)
    through_window = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    monkeypatch.setattr(listing, "page_rows", lambda *_, **__: None)  # no window: run whole
    whole = client.get(REAGENTS, query_string=query, headers=keys["clerk"]).get_json()
    assert pages == ["looked up", "walked"]
    assert through_window == whole


def test_few_candidates_sorted_by_update_are_read_through_a_window_too(
    client, keys, listed, monkeypatch
):
    """SQLite: candidates few enough to look up one by one, but more than WINDOW_FROM: sorted
    by update, a page looks up only a window's worth of the newest; a crowded second's are
    looked up within the window, not walked. Sorted otherwise, every candidate is looked up."""
    monkeypatch.setattr(index, "DRIVE", 2000)  # few: `listed` made them many
    monkeypatch.setattr(index, "WINDOW_FROM", 4)
    made = [(START + timedelta(seconds=n), listed(START + timedelta(seconds=n))) for n in range(8)]
    statements = []
    pages = page_plans(monkeypatch, statements)

    def first_page(limit: int, sort: str = "-updated_at") -> list[str]:
        statements.clear()
        pages.clear()
        query = {"q": "гепатита", "limit": limit, "sort": sort}
        response = client.get(REAGENTS, query_string=query, headers=keys["clerk"])
        return [item["id"] for item in response.get_json()["items"]]

    newest = [i for _, i in sorted(made, reverse=True)]
    assert first_page(1) == newest[:1]
    # One statement: the three candidates read (two rows wanted), looked up as read.
    assert len(statements) == 1 and "json_each" in statements[0] and pages == ["looked up"]
    crowded = START + timedelta(seconds=30)
    made += [
        (crowded + timedelta(microseconds=n), listed(crowded + timedelta(microseconds=n)))
        for n in (7, 3, 9, 1, 5)
    ]
    newest = [i for _, i in sorted(made, reverse=True)]
    assert first_page(1) == newest[:1]  # the crowded second's latest
    assert "json_each" not in statements[0] and pages == ["looked up"]  # within its keys
    # Sorted by name, the statement runs whole: every candidate looked up, none walked.
    by_name = first_page(3, "name")
    assert len(statements) == 1 and "json_each" not in statements[0] and pages == []
    assert "+reagents.rowid" not in statements[0] and len(by_name) == 3
    for limit in (1, 2, 20):
        query = {"q": "гепатита", "limit": limit}
        assert every_id(client, REAGENTS, keys["clerk"], **query) == newest, limit
        oldest = every_id(client, REAGENTS, keys["clerk"], **query, sort="updated_at")
        assert oldest == newest[::-1], limit
