"""How a search runs: the same answers (test_search.py), by the cheaper road."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.reagents.model import Reagent
from registry.records import driver
from registry.search import index
from registry.search.index import indexed_search
from tests.builders import chongqing_institution, post, reagent


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


def test_a_window_of_whole_seconds_is_looked_up_and_a_crowded_second_walked(
    app, client, keys, monkeypatch
):
    """SQLite, sorted by update: the candidates of the seconds read whole are looked up one by
    one when they hold a page; when the last second read may hold more of them than were read,
    SQLite walks the sort order over it instead. Either way the pages are exact."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL has no window")
    monkeypatch.setattr(index, "DRIVE", -1)  # many candidates: a window is read
    supplier = post(client, "/api/v1/institutions", chongqing_institution(), keys["clerk"])["id"]
    start = datetime(2026, 3, 1, 12, 0, 0)

    def made_at(moment: datetime) -> tuple[datetime, str]:
        monkeypatch.setattr("registry.records.lifecycle.utcnow", lambda: moment)
        body = reagent(supplier, names={"ru": "Набор для выявления гепатита C"})
        return moment, post(client, "/api/v1/reagents", body, keys["clerk"])["id"]

    made = [made_at(start + timedelta(seconds=n)) for n in range(8)]
    pages = []
    read = driver.driver_rows

    def seen(connection, statement, params):
        if "reagents_trigrams" in statement:
            pages.append(statement)
        return read(connection, statement, params)

    monkeypatch.setattr(driver, "driver_rows", seen)

    def every_page(limit: int, sort: str = "-updated_at") -> list[str]:
        ids, cursor = [], None
        while True:
            query = {"q": "гепатита", "limit": limit, "sort": sort, "cursor": cursor or ""}
            response = client.get("/api/v1/reagents", query_string=query, headers=keys["clerk"])
            assert response.status_code == 200
            ids += [item["id"] for item in response.get_json()["items"]]
            if not (cursor := response.get_json()["next_cursor"]):
                return ids

    def first_page(limit: int) -> list[str]:
        """The first page's ids; `pages` then holds the statements it ran."""
        pages.clear()
        query = {"q": "гепатита", "limit": limit}
        response = client.get("/api/v1/reagents", query_string=query, headers=keys["clerk"])
        return [item["id"] for item in response.get_json()["items"]]

    assert first_page(1) == [made[-1][1]]
    # Limit 1 reads four candidates, of four seconds: the first three hold a page.
    assert len(pages) == 1 and "+reagents.rowid IN" not in pages[0]
    crowded = start + timedelta(seconds=30)
    made += [made_at(crowded + timedelta(microseconds=n)) for n in (7, 3, 9, 1, 5)]
    assert first_page(1) == [made[-3][1]]  # the crowded second's latest instant
    # All four read are of one second: the walk over it fills the page.
    assert len(pages) == 1 and "+reagents.rowid IN" in pages[0]
    # Fewer candidates than a window reads: all are looked up.
    assert len(first_page(20)) == len(made)
    assert len(pages) == 1 and "+reagents.rowid IN" not in pages[0]
    for limit in (1, 2, 3, 20):
        assert every_page(limit) == [i for _, i in sorted(made, reverse=True)], limit
        assert every_page(limit, "updated_at") == [i for _, i in sorted(made)], limit
