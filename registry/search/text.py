"""Build and match the folded, romanised ``search_text`` column of registry records."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

__all__ = [
    "MAX_QUERY_WORDS",
    "fold",
    "hanzi_grams",
    "is_hanzi",
    "like_pattern",
    "query_words",
    "record_matches",
    "search_fields",
    "search_text",
]

MAX_QUERY_WORDS = 20

_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
# Letters that exist in Russian but not in Belarusian; a Cyrillic value without
# any of them (or with і / ў) is treated as Belarusian-looking.
_RUSSIAN_ONLY_RE = re.compile(r"[ищъ]")
_BELARUSIAN_RE = re.compile(r"[іў]")
_HANZI_RE = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")

# Lower-case Cyrillic letters whose romanisation is the same in every variant.
# Apostrophes (Belarusian/Ukrainian separators) are dropped like ъ and ь.
_COMMON: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ч": "ch",
    "ш": "sh",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ґ": "g",
    "'": "",
    "\u2019": "",
    "\u02bc": "",
}

# Letters that differ between variants, in the order
# (scholarly, simple, j-style, Belarusian BGN-style).
_VARYING: dict[str, tuple[str, str, str, str]] = {
    "г": ("g", "g", "g", "h"),
    "ў": ("u", "u", "u", "w"),
    "ё": ("e", "yo", "jo", "yo"),
    "й": ("y", "i", "j", "y"),
    "х": ("kh", "h", "h", "kh"),
    "ц": ("ts", "c", "c", "ts"),
    "щ": ("shch", "sch", "shch", "shch"),
    "ю": ("yu", "iu", "ju", "yu"),
    "я": ("ya", "ia", "ja", "ya"),
    "є": ("ye", "ie", "je", "ye"),
    "ї": ("yi", "i", "ji", "yi"),
}


def _table(column: int, g: str | None = None) -> dict[int, str]:
    table = {ord(k): v for k, v in _COMMON.items()}
    table.update({ord(k): v[column] for k, v in _VARYING.items()})
    if g is not None:
        table[ord("г")] = g
    return table


_SCHOLARLY = _table(0)  # zh kh ts ch sh shch yu ya y, ё→e
_SIMPLE = _table(1)  # zh h c ch sh sch iu ia i, ё→yo
_J_STYLE = _table(2)  # zh h c ch sh shch ju ja j, ё→jo
_J_STYLE_BE = _table(2, g="h")  # as _J_STYLE, г→h (Belarusian national style)
_BELARUSIAN = _table(3)  # г→h ў→w kh ts yu ya y, ё→yo (BGN/PCGN Belarusian)
_RUSSIAN_TABLES = (_SCHOLARLY, _SIMPLE, _J_STYLE)
_BELARUSIAN_TABLES = (_SCHOLARLY, _SIMPLE, _J_STYLE_BE, _BELARUSIAN)


def _casefold(text: str) -> str:
    """NFC-normalise, casefold and collapse whitespace (ё kept)."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.split())


def fold(text: str) -> str:
    """Return ``text`` NFC-normalised and casefolded, ё→е, whitespace runs collapsed."""
    return _casefold(text).replace("ё", "е")


def _romanisations(base: str) -> list[str]:
    """Romanise a casefolded value that contains Cyrillic (at most four variants).

    Word by word: each letter is romanised on its own, so a value's romanisation is its
    words' joined, and the words of names repeat across thousands of records, while
    `str.translate` of Cyrillic costs about 0.15 µs a letter.
    """
    belarusian = bool(_BELARUSIAN_RE.search(base)) or not _RUSSIAN_ONLY_RE.search(base)
    words = [_romanised_word(word, belarusian) for word in base.split(" ")]
    return [" ".join(variant) for variant in zip(*words, strict=True)]


@lru_cache(maxsize=65536)
def _romanised_word(word: str, belarusian: bool) -> tuple[str, ...]:
    tables = _BELARUSIAN_TABLES if belarusian else _RUSSIAN_TABLES
    return tuple(word.translate(table) for table in tables)


@lru_cache(maxsize=65536)
def _pinyin(run: str) -> tuple[str, ...]:
    """Toneless pinyin of one Hanzi run (pypinyin's phrase-aware choice)."""
    return tuple(lazy_pinyin(run, style=Style.NORMAL))


def _pinyin_fields(folded: str) -> list[str]:
    """Pinyin of a folded value: syllables space-joined, and concatenated."""
    spaced = _HANZI_RE.sub(lambda m: " " + " ".join(_pinyin(m.group())) + " ", folded)
    joined = _HANZI_RE.sub(lambda m: "".join(_pinyin(m.group())), folded)
    return [fold(spaced), fold(joined)]


@lru_cache(maxsize=16384)
def _variants(base: str) -> tuple[str, ...]:
    """The fields one casefolded value adds beside itself: romanisations and pinyin.

    Cached: an import's names of products and makers repeat across thousands of records.
    """
    variants = []
    if _CYRILLIC_RE.search(base):
        variants += _romanisations(base)
    folded = base.replace("ё", "е")
    if _HANZI_RE.search(folded):
        variants += _pinyin_fields(folded)
    return tuple(variants)


def _value_fields(value: str | None) -> list[str]:
    """One value's search fields: itself folded, then its romanisations and pinyin."""
    base = _casefold(value) if value else ""
    if not base:
        return []
    folded = base.replace("ё", "е")
    return [folded] if base.isascii() else [folded, *_variants(base)]


def search_fields(values: Iterable[str | None]) -> list[str]:
    """The fields a record is searched by, each once: its values folded, their romanisations
    and pinyin. A query word matches a record when it is a substring of one of them."""
    return list(dict.fromkeys(field for value in values for field in _value_fields(value)))


def search_text(values: Iterable[str | None]) -> str:
    """The stored search column: the words of the search fields, space-separated, each once,
    less those that another word of the same value holds.

    A query word holds no whitespace and fold() leaves single spaces between a value's words,
    so a query word is a substring of a field exactly when it is a substring of one of the
    field's words, and then of this text. Most words of a Cyrillic value's three or four
    romanisations are the same, and the syllables of spaced pinyin lie within the joined
    pinyin: the text is about a third shorter than the fields joined, and its trigram and
    Hanzi-gram indexes hold the trigrams and grams that a query word can have.
    """
    words: dict[str, None] = {}
    for value in values:
        if value and value.isascii():  # catalog numbers: no variants, and seldom repeated
            words.update(dict.fromkeys(_casefold(value).split()))
        elif value:
            words.update(dict.fromkeys(_value_words(value)))
    return " ".join(words)


@lru_cache(maxsize=16384)
def _value_words(value: str) -> tuple[str, ...]:
    """The words of one value's search fields, each once, but for those another one holds.

    Cached: names of products and makers repeat across thousands of records.
    """
    words = dict.fromkeys(word for field in _value_fields(value) for word in field.split(" "))
    held = ""  # the words kept so far, longest first, space-separated
    for word in sorted(words, key=len, reverse=True):
        if word in held:
            del words[word]
        else:
            held += " " + word
    return tuple(words)


def query_words(q: str) -> list[str]:
    """Split a query into at most 20 distinct folded words, in order."""
    words: dict[str, None] = {}
    for raw in q.split():
        word = fold(raw)
        if word:
            words[word] = None
            if len(words) == MAX_QUERY_WORDS:
                break
    return list(words)


def like_pattern(word: str) -> str:
    r"""Return a ``LIKE`` pattern matching ``word`` anywhere (use with ESCAPE '\')."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_hanzi(word: str) -> bool:
    """Tell whether ``word`` is Chinese characters only."""
    return _HANZI_RE.fullmatch(word) is not None


def hanzi_grams(text: str) -> list[str]:
    """Every Hanzi and every pair of adjacent Hanzi in ``text``, sorted, each once.

    Trigram indexes cannot find a one- or two-character word; an index of these grams can,
    and a 1–2 character Chinese word occurs in a text exactly when it is one of its grams.
    Word by word (no Hanzi run crosses whitespace), each word's grams cached: the words of a
    search_text that hold Hanzi repeat across records, and the romanised ones are ASCII.
    """
    found = [_word_grams(word) for word in text.split() if not word.isascii()]
    return sorted(frozenset().union(*found))


@lru_cache(maxsize=16384)
def _word_grams(word: str) -> frozenset[str]:
    grams: set[str] = set()
    for run in _HANZI_RE.findall(word):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(grams)


def record_matches(values: Iterable[str | None], q: str) -> bool:
    """Tell whether every query word is a substring of one search field (oracle)."""
    fields = search_fields(values)
    return all(any(word in field for field in fields) for word in query_words(q))
