"""Fast `q` over search_text: the same answers as LIKE, found through full-text indexes.

Every word of `q` must be a substring of some field of the folded ``search_text``; LIKE says
so exactly, and the indexes of migration 0002 keep LIKE from reading every record:

- SQLite: ``<table>_trigrams``, an FTS5 trigram index of search_text, and ``<table>_hanzi``,
  an FTS5 index whose tokens are every Hanzi and every pair of adjacent Hanzi (a trigram
  never finds a word under three characters). A long word narrows the search to the records
  holding its two rarest trigrams (cheap to intersect, unlike a phrase of all of them, which
  reads the doclists of the common ones), and LIKE decides; the Hanzi index is exact itself.
  A word whose trigrams are all common (in a tenth of the records) is left to LIKE.
  Few candidates (DRIVE) are looked up one by one; many, and SQLite walks the sort order's
  index and tests membership, which fills a page after a few hundred steps.
  Both indexes key a record by the second it last changed, then its rowid (migration 0005).
  Sorted by updated_at, a search of more than a few pages' worth of candidates (WINDOW_FROM)
  first asks the rarest index for its newest (or oldest) holders, a page and a quarter's
  worth, and keeps to their seconds: every record of a later second sorts after them, so the
  page is exact once this window fills it. When filters or LIKE passed too few, a second
  window is sized by the share that passed; when that one falls short too (or nothing
  passed), the search runs whole. The seconds wholly read (all but the last one's) usually
  hold a page: their candidates, as read, are looked up one by one (a page of a word in 1% of
  a million listings: 0.4 ms of SQL, the window's read included, where walking the sort order
  tested 5,000 records in 1.4 ms); both reads see one snapshot. When they do not (a second
  holds more than a page of candidates, as after a bulk import), the window takes in the last
  second too, and its candidates are looked up or walked, few or many, as in a whole search:
  a walk tests membership in the window's candidates, a set of hundreds, not of every holder
  (10,000 for a word in 1% of a million listings).
- PostgreSQL: pg_trgm's GIN index on search_text serves LIKE itself, and a GIN index on
  ``registry_hanzi_grams(search_text)`` finds rare one- and two-character Chinese words. A
  query of one long word that many records hold walks the sort order instead (strpos, which
  the trigram index cannot serve): fetching every match to sort them costs more.

Short words of other scripts (``c``, ``ив``) are LIKE alone: they are common, and beside a
long word they only recheck its candidates. A query made only of very common words and a
short word that matches nothing reads the whole table.
"""

import calendar
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Text,
    bindparam,
    cast,
    column,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType

from registry.extensions import db
from registry.records.driver import driver_rows
from registry.search.text import hanzi_grams, is_hanzi, like_pattern

TRIGRAM = 3  # the shortest word a trigram index can find
TRIGRAM_INDEX = "_trigrams"  # <table>_trigrams: SQLite's FTS5 table, pg_trgm's LIKE on PostgreSQL
TRIGRAMS_PER_WORD = 8  # at most this many trigrams of a word are weighed
COMMON_SHARE = 10  # a token held by more than a tenth of the records is common
MIN_COMMON = 1000
DRIVE = 2000  # at most this many candidates are looked up one by one
# Sorted by updated_at, a search of more candidates than this reads a window of them (page_rows):
# twice what the window of a page of 50 reads. In-process, 100,000 bench listings, a request:
# agar (272 candidates) 3.2-3.6 ms looking every candidate up, 1.1-1.7 through a window;
# креатинина (1,070) 5.7-7.2 ms, 1.3-1.7; 梅毒 (1,091) 5.0-6.6 ms, 1.3-1.6.
WINDOW_FROM = 128
STATS_SECONDS = 600
STATS_KEPT = 50_000
# An FTS5 rowid (migration 0005): seconds since 2000 of updated_at << ROWID_BITS | rowid.
KEY_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z in Unix seconds
ROWID_BITS = 32
ROWID_MASK = (1 << ROWID_BITS) - 1
EVERY_KEY = (-(2**63), 2**63 - 1)
WINDOW_SHARE = 1.25  # a first window reads this many candidates a wanted row (page_rows)
WINDOW_MOST = 8  # a second window reads at most this many pages' worth


def hanzi_gram_text(value: str | None) -> str:
    """The Hanzi grams of a search_text as space-separated tokens (the SQLite index's text)."""
    return " ".join(hanzi_grams(value or ""))


@event.listens_for(Engine, "connect")
def _sqlite_functions(dbapi_connection, _record) -> None:
    # SQLite triggers and the index's content view call this; a connection without it (the
    # sqlite3 shell) fails loudly on a write instead of leaving the index behind.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "registry_hanzi_grams", 1, hanzi_gram_text, deterministic=True
        )


# Statistics, as a query planner keeps them: table sizes and how many records match a token.
# They choose which tokens narrow a search and how it runs; the answers never depend on them,
# so figures some minutes old do no harm.
_stats: dict[tuple, tuple[float, int | None]] = {}


def _statistics(
    keys: list[tuple], measure: Callable[[list[tuple]], list[int | None]]
) -> list[int | None]:
    now, database = time.monotonic(), str(db.engine.url)
    stale = [
        k for k in keys if now - _stats.get((database, *k), (-STATS_SECONDS, 0))[0] >= STATS_SECONDS
    ]
    if stale:
        if len(_stats) > STATS_KEPT:
            _stats.clear()
        for key, value in zip(stale, measure(stale), strict=True):
            _stats[(database, *key)] = (now, value)
    return [_stats[(database, *k)][1] for k in keys]


def _probe(index: str, i: int) -> str:
    """The rows of one statistics key: an FTS5 index's, or on PostgreSQL a table's Hanzi grams
    (index = the table) or a LIKE pattern that pg_trgm serves (index = `<table>_trigrams`)."""
    if db.engine.dialect.name == "sqlite":
        return f"SELECT 1 FROM {index} WHERE {index} MATCH :q{i}"
    if index.endswith(TRIGRAM_INDEX):
        table = index.removesuffix(TRIGRAM_INDEX)
        return f"SELECT 1 FROM {table} WHERE search_text LIKE :q{i} ESCAPE '\\'"
    return f"SELECT 1 FROM {index} WHERE {_PG_GRAMS} @> ARRAY[CAST(:q{i} AS text)]"


def _counts(keys: list[tuple]) -> list[int]:
    """Matches of (table or index, query, limit) keys, counted in one statement."""
    probes = []
    for i, (index, _query, limit) in enumerate(keys):
        match = _probe(index, i)
        probes.append(f"(SELECT count(*) FROM ({match} LIMIT {int(limit)}) AS c{i})")
    params = {f"q{i}": query for i, (_index, query, _limit) in enumerate(keys)}
    return list(db.session.execute(text(f"SELECT {', '.join(probes)}"), params).one())


def match_counts(index: str, queries: list[str], limit: int) -> dict[str, int]:
    """How many records match each query, counted up to `limit` (remembered a while)."""
    keys = [(index, query, limit) for query in queries]
    return dict(zip(queries, _statistics(keys, _counts), strict=True))


def _common(table: str) -> int:
    """How many records make a token common in this table."""
    (rows,) = _statistics(
        [(table, "rows")],
        lambda _: [db.session.scalar(text(f"SELECT coalesce(max(rowid), 0) FROM {table}"))],
    )
    return max(MIN_COMMON, rows // COMMON_SHARE)


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_query(tokens: list[str]) -> str:
    return " ".join(_quoted(t) for t in sorted(tokens))


def _trigrams(word: str) -> list[str]:
    every = list(dict.fromkeys(word[i : i + TRIGRAM] for i in range(len(word) - TRIGRAM + 1)))
    return every[:: max(1, len(every) // TRIGRAMS_PER_WORD)][:TRIGRAMS_PER_WORD]


def _uncommon(table: str, index: str, tokens: list[str]) -> dict[str, int]:
    """The tokens held by fewer than a common share of the records, with their counts."""
    if not tokens:
        return {}
    limit = _common(table)
    counts = match_counts(index, [_quoted(t) for t in tokens], limit)
    return {t: counts[_quoted(t)] for t in tokens if counts[_quoted(t)] < limit}


def _rarest(word: str, rare: dict[str, int]) -> list[str]:
    # Two trigrams of a word: intersecting more of them costs more than it narrows.
    return sorted(rare.keys() & set(_trigrams(word)), key=rare.__getitem__)[:2]


class window_candidates(ColumnElement):  # noqa: N801 (a SQL condition, named as one)
    """rowid IN (a search window's candidates), written two ways. As it stands: `whole`,
    `rowid IN (the index's query within the window's keys)`, looked up or walked as its
    candidates' count chose (`_rowids`); every key unless `page_rows` sets the window.
    Compiled with `drive_window=True`: `driven`, `rowid IN (the rowids that page_rows read, as
    a JSON array)`, looked up one by one, and the index is not read again (`page_rows`
    chooses, by how many candidates the window holds)."""

    type = NullType()  # as written: a Boolean would be compared with 1 on SQLite
    inherit_cache = True
    _traverse_internals = [
        ("whole", InternalTraversal.dp_clauseelement),
        ("driven", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, whole: ColumnElement, driven: ColumnElement) -> None:
        self.whole, self.driven = whole, driven


@compiles(window_candidates)
def _window_candidates(element, compiler, *, drive_window: bool = False, **kw) -> str:
    return compiler.process(element.driven if drive_window else element.whole, **kw)


# The rowids page_rows read from a window's index, as a JSON array.
_WINDOW_ROWIDS = (
    text("SELECT value FROM json_each(:window_rowids)")
    .bindparams(bindparam("window_rowids", "[]"))
    .columns(column("value"))
)


def _rowids(table: str, index: str, tokens: list[str], *, looked_up: bool, windowed: bool):
    """rowid IN (the records whose FTS5 index holds every token, within the window).

    Written `+rowid` when not `looked_up`: SQLite then walks the sort order's index and tests
    membership instead of looking every candidate up and sorting them. `windowed`: a
    `window_candidates`, which a page sorted by updated_at may read through a window. The
    window (a range of index keys, `window_first` to `window_last`) is every key unless
    `page_rows` sets it.
    """
    param = f"{index}_query"
    query = (
        text(
            f"SELECT rowid & {ROWID_MASK} AS rowid FROM {index} "
            f"WHERE {index} MATCH :{param} AND rowid BETWEEN :window_first AND :window_last"
        )
        .bindparams(
            bindparam(param, _fts_query(tokens)),
            bindparam("window_first", EVERY_KEY[0]),
            bindparam("window_last", EVERY_KEY[1]),
        )
        .columns(column("rowid"))
    )

    def rowid_in(rows, *, looked_up: bool):
        return literal_column(f"{'' if looked_up else '+'}{table}.rowid").in_(rows)

    whole = rowid_in(query, looked_up=looked_up)
    if windowed:
        return window_candidates(whole, rowid_in(_WINDOW_ROWIDS, looked_up=True))
    return whole


def _narrowing_trigrams(table: str, long: list[str]) -> list[str]:
    """Each long word's rarest trigram; its second-rarest too only when the pair leaves few
    enough candidates to look up one by one and the rarest alone does not.

    A second doclist costs about as much to read as the first (креатинина at a million
    listings: 2.7 ms with one trigram, 6.0 ms with two) and only removes what LIKE rejects.
    """
    index = f"{table}{TRIGRAM_INDEX}"
    rare = _uncommon(table, index, sorted({t for w in long for t in _trigrams(w)}))
    pairs = [_rarest(word, rare) for word in long]
    one = sorted({pair[0] for pair in pairs if pair})
    two = sorted({token for pair in pairs for token in pair})
    if two != one:
        counts = match_counts(index, [_fts_query(one), _fts_query(two)], DRIVE + 1)
        if counts[_fts_query(two)] <= DRIVE < counts[_fts_query(one)]:
            return two
    return one


def _sqlite_narrowing(
    table: str, long: list[str], hanzi: list[str]
) -> tuple[list, list[str], tuple[str, str] | None]:
    """Conditions on the FTS5 indexes, the Hanzi words too common for them (left to LIKE), and
    the index and query that a window reads (None when the candidates are a page or two).

    The index with fewest candidates drives: up to DRIVE of them are looked up one by one;
    more, and SQLite walks the sort order testing membership. The others' candidates are
    only tested. Sorted by updated_at, more than WINDOW_FROM are read through a window.
    """
    chosen = {}
    if tokens := _narrowing_trigrams(table, long):
        chosen[f"{table}_trigrams"] = tokens
    if tokens := list(_uncommon(table, f"{table}_hanzi", hanzi)):
        chosen[f"{table}_hanzi"] = tokens
    common = [w for w in hanzi if w not in chosen.get(f"{table}_hanzi", [])]
    candidates = {
        index: match_counts(index, [_fts_query(tokens)], DRIVE + 1)[_fts_query(tokens)]
        for index, tokens in chosen.items()
    }
    driver = min(candidates, key=candidates.__getitem__, default=None)
    held = candidates.get(driver, 0)
    # Many are windowed, and few but some (DRIVE < WINDOW_FROM only in tests).
    windowed = driver is not None and held > min(DRIVE, WINDOW_FROM)
    window = (driver, _fts_query(chosen[driver])) if windowed else None
    conditions = [
        _rowids(
            table,
            index,
            tokens,
            looked_up=index == driver and held <= DRIVE,
            windowed=index == driver and windowed,
        )
        for index, tokens in chosen.items()
    ]
    return conditions, common, window


def _window_key(second: int) -> int:
    """The first index key of a second (seconds since KEY_EPOCH)."""
    return second << ROWID_BITS


def page_rows(
    connection: Connection,
    window: tuple[str, str],
    run: Callable[[dict, bool], list],
    params: dict,
    *,
    descending: bool,
    after: datetime | None,
    wanted: int,
) -> list | None:
    """A page of a search sorted by updated_at, read through a window of the index keys; None
    when no window filled the page (run the statement whole).

    `window` is the statement's `search_window` option (the index and its query); `run`
    runs the statement with parameters, driven by the window's candidates or not (see
    `window_candidates`); `after` is the cursor's updated_at (None on the first page); `wanted`
    the rows to fetch.

    The first window reads WINDOW_SHARE candidates a wanted row: enough when nearly every
    candidate is a match, as for a word of one analyte's name. When filters or LIKE passed
    fewer, a second window is sized by the share that passed. At a million bench listings, a
    word in 1% of them: its page's statement reads 64 candidates, not 102 (605-715 µs against
    822-916); with origin_country=CN (45% pass) a second window of about 140 fills the page, where
    a fixed window of two pages came up short and the search ran whole (3.6-4.3 ms a
    request against 13.7-14.6, in-process).
    """
    index, query = window
    first, last = EVERY_KEY
    if after is not None:  # the page goes on from the cursor's second
        second = calendar.timegm(after.timetuple()) - KEY_EPOCH
        if descending:
            last = _window_key(second + 1) - 1
        else:
            first = _window_key(second)

    def window_page(read: int) -> tuple[list, bool, int]:
        """The rows of a window of `read` keys: (rows, whether it held every candidate there
        is, how many candidates were looked up; 0 when the window was walked)."""
        low, high = first, last
        keys, _ = driver_rows(  # SQLite's own parameters: this runs on SQLite only
            connection,
            f"SELECT rowid FROM {index} WHERE {index} MATCH ? AND rowid BETWEEN ? AND ? "
            f"ORDER BY rowid {'DESC' if descending else 'ASC'} LIMIT ?",
            (query, low, high, read),
        )
        every = len(keys) < read  # every candidate there is: few enough to look up
        whole = len(keys)  # the candidates read of seconds read whole
        if not every:  # the last second read may hold more candidates than were read
            seconds = [key >> ROWID_BITS for (key,) in keys]
            edge = seconds[-1]
            whole = seconds.index(edge)
            if descending:
                low = _window_key(edge)
            else:
                high = _window_key(edge + 1) - 1
        drive = every or whole >= wanted  # else walk the window, the edge's second included
        rowids = [key & ROWID_MASK for (key,) in keys[:whole]] if drive else []
        values = {"window_first": low, "window_last": high}
        values["window_rowids"] = orjson.dumps(rowids).decode()
        return run(params | values, drive), every, len(rowids)

    read = math.ceil(WINDOW_SHARE * wanted)
    with _one_snapshot(connection):
        rows, every, looked_up = window_page(read)
        if not every and 0 < len(rows) < wanted and looked_up:
            share = len(rows) / looked_up  # of the candidates looked up, that passed
            again = min(math.ceil(WINDOW_SHARE * wanted / share), WINDOW_MOST * wanted)
            if again > read:
                rows, every, _ = window_page(again)
    return rows if every or len(rows) >= wanted else None


@contextmanager
def _one_snapshot(connection: Connection) -> Iterator[None]:
    """The statements within read one snapshot of SQLite's: outside a transaction, each
    statement of a read request reads its own."""
    driver_connection = connection.connection.driver_connection
    if driver_connection.in_transaction:
        yield
        return
    driver_connection.execute("BEGIN")
    try:
        yield
    finally:
        if driver_connection.in_transaction:
            driver_connection.execute("COMMIT")  # a read: it only lets go of the snapshot


_PG_GRAMS = "registry_hanzi_grams(search_text)"


def _walk_for(table: str, exact: list[str], hanzi: list[str]) -> bool:
    """PostgreSQL: walk the sort order, testing each record, for a query of one long word
    that more than DRIVE records hold (the walk then fills a page soon); pg_trgm's index
    for a rare word, or for several words, whose rows together may be few."""
    long = [w for w in exact if len(w) >= TRIGRAM]
    if hanzi or len(long) != 1:
        return False
    pattern = like_pattern(long[0])
    index = f"{table}{TRIGRAM_INDEX}"
    return match_counts(index, [pattern], DRIVE + 1)[pattern] > DRIVE


def indexed_search(model) -> Callable[[Select, list[str]], Select]:
    """A Resource.search for a record model whose table migration 0002 indexed."""
    table = model.__tablename__

    def search(stmt: Select, words: list[str]) -> Select:
        long = [w for w in words if len(w) >= TRIGRAM]
        hanzi = [w for w in words if len(w) < TRIGRAM and is_hanzi(w)]
        exact = [w for w in words if w not in hanzi]  # the Hanzi index is exact by itself
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            narrowing, common, window = _sqlite_narrowing(table, long, hanzi)
            stmt = stmt.where(*narrowing)
            if window is not None:
                stmt = stmt.execution_options(search_window=window)
            exact += common
        elif hanzi:
            # The grams index for a rare Chinese word; LIKE, walking the sort order, for a
            # common one (computing a row's grams costs more than LIKE does).
            counts = match_counts(table, hanzi, DRIVE + 1)
            rare = [w for w in hanzi if counts[w] <= DRIVE]
            if rare:
                grams = func.registry_hanzi_grams(model.search_text)
                stmt = stmt.where(grams.op("@>")(cast(array(rare), ARRAY(Text))))
            exact += [w for w in hanzi if w not in rare]
        walk = dialect == "postgresql" and _walk_for(table, exact, hanzi)
        # The exact test; on PostgreSQL pg_trgm's GIN index serves it directly for a long word.
        for word in exact:
            if dialect == "postgresql" and (len(word) < TRIGRAM or walk):
                # The same test, out of pg_trgm's sight: the planner, expecting a LIKE of two
                # letters to be rare, read every listing (1 s at a million for 梅毒) instead of
                # walking the sort order (50 ms); for a common long word it fetched every
                # match to sort them (10,000 rows for креатинина) where the walk needs 5,000.
                stmt = stmt.where(func.strpos(model.search_text, word) > 0)
            else:
                stmt = stmt.where(model.search_text.like(like_pattern(word), escape="\\"))
        return stmt

    return search
