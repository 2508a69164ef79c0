"""SQLite search indexes key each record by the second it last changed, then its rowid

A search sorted by updated_at (the default sort) walked the sort order's index and tested each
record against the set of every record holding the word's rarest trigram: at a million
listings, a word in 1% of them built a set of 10,000 rowids and probed it 5,000 times (3.7 ms
of SQL). Keyed as ``(seconds since 2000 of updated_at) << 32 | rowid``, an index hands out
its records in the order of the second they changed, so the search reads the newest hundred
holders of the trigram first and narrows the set to their seconds (see
registry/search/index.py). The key is computed by the triggers and a view over the table, so
every writer keeps it; a rowid must stay under 2**32 and updated_at before 2068.
PostgreSQL: nothing to do.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

import registry.search.index  # noqa: F401  (registers registry_hanzi_grams on SQLite)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("institutions", "reagents")
HASH_SIZE = 32 * 1024 * 1024  # as 0003 set it
# The key registry.search.index reads (KEY_EPOCH, ROWID_BITS), written out here: a migration
# must not change with the app.
KEY = "(((CAST(strftime('%s', {row}.updated_at) AS INTEGER) - 946684800) << 32) | {row}.rowid)"


def _drop(table: str) -> None:
    for suffix in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {table}_trigrams")
    op.execute(f"DROP TABLE IF EXISTS {table}_hanzi")
    op.execute(f"DROP VIEW IF EXISTS {table}_hanzi_source")
    op.execute(f"DROP VIEW IF EXISTS {table}_search_source")


def _create(table: str, *, keyed: bool) -> None:
    """The two indexes and their triggers; keyed by SEARCH_KEY, or (downgrade) by rowid."""
    trigrams, hanzi = f"{table}_trigrams", f"{table}_hanzi"
    key = KEY if keyed else "{row}.rowid"
    if keyed:
        source, key_column = f"{table}_search_source", "search_key"
        op.execute(
            f"CREATE VIEW {source} AS SELECT {key.format(row=table)} AS search_key, "
            f"search_text, registry_hanzi_grams(search_text) AS grams FROM {table}"
        )
        trigram_content = f"content='{source}', content_rowid='search_key'"
    else:  # as 0002 made them
        source, key_column = f"{table}_hanzi_source", "record_rowid"
        op.execute(
            f"CREATE VIEW {source} AS SELECT rowid AS record_rowid, "
            f"registry_hanzi_grams(search_text) AS grams FROM {table}"
        )
        trigram_content = f"content='{table}', content_rowid='rowid'"
    op.execute(
        f"CREATE VIRTUAL TABLE {trigrams} USING fts5(search_text, {trigram_content}, "
        "tokenize='trigram case_sensitive 1', detail='none')"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE {hanzi} USING fts5(grams, content='{source}', "
        f"content_rowid='{key_column}', tokenize='ascii', detail='none')"
    )
    new, old = key.format(row="new"), key.format(row="old")
    add = (
        f"INSERT INTO {trigrams}(rowid, search_text) VALUES ({new}, new.search_text); "
        f"INSERT INTO {hanzi}(rowid, grams) VALUES ({new}, registry_hanzi_grams(new.search_text));"
    )
    remove = (
        f"INSERT INTO {trigrams}({trigrams}, rowid, search_text) "
        f"VALUES ('delete', {old}, old.search_text); "
        f"INSERT INTO {hanzi}({hanzi}, rowid, grams) "
        f"VALUES ('delete', {old}, registry_hanzi_grams(old.search_text));"
    )
    # A write that changes updated_at and not search_text moves the record in both indexes.
    changed = "search_text, updated_at" if keyed else "search_text"
    op.execute(f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {add} END")
    op.execute(f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {changed} ON {table} "
        f"BEGIN {remove} {add} END"
    )
    for index in (trigrams, hanzi):
        op.execute(f"INSERT INTO {index}({index}, rank) VALUES ('hashsize', {HASH_SIZE})")
        op.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")


def _recreate(*, keyed: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _drop(table)
        _create(table, keyed=keyed)


def upgrade():
    _recreate(keyed=True)


def downgrade():
    _recreate(keyed=False)
