"""How a search runs on PostgreSQL: the same answers (test_search.py), by the cheaper road."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from registry.extensions import db
from registry.reagents.model import Reagent
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


def test_a_remembered_window_edge_gives_exact_pages(app, client, keys, monkeypatch):
    """SQLite: the edge of a search's window is looked up once; after the records of its
    window are gone, the page is still exact (read whole) and the edge is looked up again."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL has no window")
        engine = db.engine
    monkeypatch.setattr(index, "DRIVE", -1)  # many candidates: the sort order is walked
    supplier = post(client, "/api/v1/institutions", chongqing_institution(), keys["clerk"])["id"]
    start = datetime(2026, 3, 1, 12, 0, 0)
    made = []
    for n in range(8):
        moment = start + timedelta(seconds=10 * n)
        monkeypatch.setattr("registry.records.lifecycle.utcnow", lambda moment=moment: moment)
        body = reagent(supplier, names={"ru": f"Набор для выявления гепатита {n}"})
        made.append(post(client, "/api/v1/reagents", body, keys["clerk"])["id"])
    edges = []

    def seen(_connection, _cursor, statement, *_):
        if "ORDER BY rowid" in statement:
            edges.append(statement)

    def newest() -> str:
        response = client.get(
            "/api/v1/reagents", query_string={"q": "гепатита", "limit": 1}, headers=keys["clerk"]
        )
        assert response.status_code == 200
        return response.get_json()["items"][0]["id"]

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert [newest(), newest()] == [made[-1], made[-1]]
        assert len(edges) == 1
        for gone in made[-4:]:  # the window's records: limit 1 reads two pages, four candidates
            assert (
                client.delete(f"/api/v1/reagents/{gone}", headers=keys["clerk"]).status_code == 204
            )
        assert newest() == made[-5]  # read whole: the remembered window holds nothing now
        assert newest() == made[-5]
        assert len(edges) == 2  # looked up again after the window failed
    finally:
        event.remove(engine, "before_cursor_execute", seen)
