"""search indexes: FTS5 on SQLite, pg_trgm and Hanzi grams on PostgreSQL

Written by hand: autogenerate cannot express virtual tables, triggers, extensions or
expression indexes. Each searchable table gets (see registry/search/index.py):

- SQLite: ``<table>_trigrams``, FTS5 trigram index over the folded ``search_text``
  (external content keyed by the table's rowid, so the text is not stored twice), and
  ``<table>_hanzi``, FTS5 over every Hanzi and pair of adjacent Hanzi of it, both kept in
  step by triggers. ``registry_hanzi_grams`` is a function the app registers on each SQLite
  connection. Should rowids ever be renumbered (VACUUM keeps them in practice), rebuild with
  ``INSERT INTO <index>(<index>) VALUES ('rebuild')``.
- PostgreSQL: ``pg_trgm`` GIN index on ``search_text`` (serves LIKE '%word%'), and a GIN index
  on the SQL function ``registry_hanzi_grams(search_text)``. pg_trgm only sees letters that
  the database's LC_CTYPE calls letters: under plain ``C`` it ignores Cyrillic and Chinese and
  every such search becomes a full scan, so the upgrade refuses such a database.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from sqlalchemy import text

import registry.search.index  # noqa: F401  (registers registry_hanzi_grams on SQLite)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("institutions", "reagents")

# PostgreSQL twin of registry.search.text.hanzi_grams (same character ranges).
PG_HANZI_GRAMS = r"""
CREATE OR REPLACE FUNCTION registry_hanzi_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(run[1], i, n)), '{}')
  FROM regexp_matches(
         value, '[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+', 'g'
       ) AS run,
       generate_series(1, 2) AS n,
       generate_series(1, char_length(run[1]) - n + 1) AS i
$$
"""


def _sqlite_statements(table: str) -> list[str]:
    trigrams, hanzi, source = f"{table}_trigrams", f"{table}_hanzi", f"{table}_hanzi_source"
    add = (
        f"INSERT INTO {trigrams}(rowid, search_text) VALUES (new.rowid, new.search_text); "
        f"INSERT INTO {hanzi}(rowid, grams) "
        f"VALUES (new.rowid, registry_hanzi_grams(new.search_text));"
    )
    remove = (
        f"INSERT INTO {trigrams}({trigrams}, rowid, search_text) "
        f"VALUES ('delete', old.rowid, old.search_text); "
        f"INSERT INTO {hanzi}({hanzi}, rowid, grams) "
        f"VALUES ('delete', old.rowid, registry_hanzi_grams(old.search_text));"
    )
    return [
        # case_sensitive: search_text and the query words are folded already, so matching is
        # exact substring matching, as LIKE over search_text is.
        f"CREATE VIRTUAL TABLE {trigrams} USING fts5(search_text, content='{table}', "
        "content_rowid='rowid', tokenize='trigram case_sensitive 1')",
        f"CREATE VIEW {source} AS "
        f"SELECT rowid AS record_rowid, registry_hanzi_grams(search_text) AS grams FROM {table}",
        # Tokens are the grams themselves: the ascii tokenizer splits on spaces only here.
        f"CREATE VIRTUAL TABLE {hanzi} USING fts5(grams, content='{source}', "
        "content_rowid='record_rowid', tokenize='ascii', detail='none')",
        f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF search_text ON {table} "
        f"BEGIN {remove} {add} END",
        f"INSERT INTO {trigrams}({trigrams}) VALUES ('rebuild')",
        f"INSERT INTO {hanzi}({hanzi}) VALUES ('rebuild')",
    ]


def _check_ctype() -> None:
    ctype = op.get_bind().scalar(
        text("SELECT datctype FROM pg_database WHERE datname = current_database()")
    )
    if ctype in ("C", "POSIX"):
        raise RuntimeError(
            f"This database's LC_CTYPE is {ctype}: pg_trgm would ignore Cyrillic and Chinese "
            "and every search would scan the whole table. Create the database with a UTF-8 "
            "locale, e.g. CREATE DATABASE registry TEMPLATE template0 ENCODING 'UTF8' "
            "LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'."
        )


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for statement in _sqlite_statements(table):
                op.execute(statement)
        return
    _check_ctype()
    # Building the indexes over existing rows takes longer than the app's statement timeout.
    op.execute("SET LOCAL statement_timeout = 0")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(PG_HANZI_GRAMS)
    for table in TABLES:
        op.execute(
            f"CREATE INDEX ix_{table}_search_trigrams ON {table} "
            "USING gin (search_text gin_trgm_ops)"
        )
        op.execute(
            f"CREATE INDEX ix_{table}_search_hanzi ON {table} "
            "USING gin (registry_hanzi_grams(search_text))"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for suffix in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_hanzi")
            op.execute(f"DROP VIEW IF EXISTS {table}_hanzi_source")
            op.execute(f"DROP TABLE IF EXISTS {table}_trigrams")
        return
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_hanzi")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_trigrams")
    op.execute("DROP FUNCTION IF EXISTS registry_hanzi_grams(text)")
    # pg_trgm stays: other objects may use it, and creating it again is harmless.
