"""How a search runs on PostgreSQL: the same answers (test_search.py), by the cheaper road."""

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.reagents.model import Reagent
from registry.search import index
from registry.search.index import indexed_search


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
