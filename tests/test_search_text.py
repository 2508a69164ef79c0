"""Tests for registry.search.text: folding, romanisation, pinyin and LIKE patterns."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.search import text
from registry.search.text import (
    fold,
    hanzi_grams,
    like_pattern,
    query_words,
    record_matches,
    search_fields,
    search_text,
)

CHONGQING = "重庆市第一人民医院"
MINSK_HOSPITAL = "Минская областная клиническая больница"
HEPATITIS_KIT = "Набор реагентов для выявления гепатита B"
MINSK_REGION_BE = "Мінская вобласць"


def _like(haystack: str, pattern: str) -> bool:
    """Emulate SQL ``LIKE pattern ESCAPE '\\'`` (case-sensitive, like PostgreSQL)."""
    regex = ""
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            regex += re.escape(next(chars))
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, haystack, flags=re.DOTALL) is not None


def _sql_matches(values: list[str | None], q: str) -> bool:
    stored = search_text(values)
    return all(_like(stored, like_pattern(word)) for word in query_words(q))


@pytest.mark.parametrize(
    ("values", "q"),
    [
        ([CHONGQING], "chongqing"),
        ([CHONGQING], "chong qing"),
        ([CHONGQING], "Chongqing renmin"),
        ([CHONGQING], "重庆"),
        (["乙型肝炎病毒检测试剂盒"], "肝炎"),
        ([MINSK_HOSPITAL], "minsk"),
        ([HEPATITIS_KIT], "gepatit"),
        (["минская"], "МИНСК"),
        ([MINSK_HOSPITAL], "minskaya"),
        ([MINSK_HOSPITAL], "minskaia"),
        ([MINSK_HOSPITAL], "bolnitsa"),
        ([MINSK_HOSPITAL], "bolnica"),
        ([MINSK_REGION_BE], "minsk"),
        ([MINSK_REGION_BE], "vobl"),
        (["Гомельская вобласць"], "homel"),
        (["Гомельская вобласць"], "gomel"),
        (["Магілёўская вобласць"], "mahilyow"),
        (["г. Жодино"], "zhodino"),
        (["Щучин"], "shchuchin"),
        (["Щучин"], "schuchin"),
        (["Южный"], "yuzhny"),
        (["Южный"], "juzhnyj"),
        (["Королёв"], "korolev"),
        (["Королёв"], "korolyov"),
        (["Королёв"], "королев"),
        (["Королев"], "королёв"),
        (["Straße"], "STRASSE"),
        ([None, "", "Hospital", MINSK_HOSPITAL], "hospital клиническая minsk"),
        (["abc"], ""),
        (["abc"], "   "),
    ],
)
def test_matches(values: list[str | None], q: str) -> None:
    assert record_matches(values, q)
    assert _sql_matches(values, q)


@pytest.mark.parametrize(
    ("values", "q"),
    [
        (["abc", "def"], "cde"),
        ([MINSK_HOSPITAL], "minsk gomel"),
        ([CHONGQING], "beijing"),
        ([MINSK_HOSPITAL], "минскаяобластная"),
        ([], "a"),
        ([None, ""], "a"),
    ],
)
def test_does_not_match(values: list[str | None], q: str) -> None:
    assert not record_matches(values, q)
    assert not _sql_matches(values, q)


def test_words_are_anded() -> None:
    values = ["Минская областная больница", "Minsk"]
    assert record_matches(values, "minsk больница")
    assert not record_matches(values, "minsk поликлиника")


def test_fold() -> None:
    assert fold("  Ёлка\tМИНСК\n\u00a0Straße ") == "елка минск strasse"
    assert fold("И\u0306") == "й"  # decomposed й is NFC-composed


def test_search_fields() -> None:
    fields = search_fields(["Минск", "минск", None, "  ", CHONGQING])
    assert fields[0] == "минск"
    assert "minsk" in fields
    assert len(fields) == len(set(fields))
    assert "chong qing shi di yi ren min yi yuan" in fields
    assert "chongqingshidiyirenminyiyuan" in fields
    assert all(field and "\n" not in field for field in fields)
    assert search_fields([None, ""]) == []
    assert search_text([None, ""]) == ""


def test_romanisation_variant_count_is_small() -> None:
    assert len(search_fields(["Щёлковская хирургическая юношеская йога-ячейка"])) <= 5


def test_search_text_keeps_each_word_once_unless_another_of_its_value_holds_it() -> None:
    stored = search_text(["Минская больница", "Minsk", CHONGQING, "b", "minsk"])
    assert stored.split(" ") == [
        "минская",
        "больница",
        "minskaya",
        "bolnitsa",
        "minskaia",
        "bolnica",
        "minskaja",
        "minsk",
        CHONGQING,
        "chongqingshidiyirenminyiyuan",
        "b",
    ]
    assert search_text(["аб вг бв"]) == "аб вг бв ab vg bv vh"  # "бв" is in "абвг", not in a word


# Values of every script the fields hold, and the words a query may have: substrings of the
# fields (the romanisations, the pinyin, across a space too) or anything else.
VALUE = st.text(alphabet="агйхяіўМ重庆肝 -'aBhk1", max_size=20) | st.text("абя重 ", max_size=6)


@settings(max_examples=500)
@given(
    st.lists(st.one_of(st.none(), VALUE), max_size=6),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 60), st.integers(1, 12)), max_size=6),
    st.lists(st.text(alphabet="ahjk重肝 ", min_size=1, max_size=4), max_size=2),
)
def test_search_text_holds_a_query_word_exactly_when_a_field_does(
    values: list[str | None], cuts: list[tuple[int, int, int]], others: list[str]
) -> None:
    fields = search_fields(values)
    stored = search_text(values)
    words = [f[at : at + size] for n, at, size in cuts for f in fields[n : n + 1]] + others
    words += [word for field in fields for word in field.split(" ")]
    for word in {w for raw in words for w in query_words(raw)}:
        assert (word in stored) == any(word in field for field in fields), word
    assert hanzi_grams(stored) == hanzi_grams("\n".join(fields))
    assert len(stored) <= len("\n".join(fields))


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўґєї'\u2019 -,.1aBz", max_size=40))
def test_a_value_is_romanised_as_its_words_are(value: str) -> None:
    base = text._casefold(value)
    if re.search("[іў]", base) or not re.search("[ищъ]", base):  # Belarusian-looking
        tables = (text._SCHOLARLY, text._SIMPLE, text._J_STYLE_BE, text._BELARUSIAN)
    else:
        tables = (text._SCHOLARLY, text._SIMPLE, text._J_STYLE)
    assert text._romanisations(base) == [base.translate(table) for table in tables]


@given(st.text(alphabet="重庆市医院检测试剂盒肝炎\U00020000a1 \n", max_size=30))
def test_hanzi_grams_are_every_character_and_pair_of_every_run(value: str) -> None:
    runs = re.findall("[重庆市医院检测试剂盒肝炎\U00020000]+", value)
    pairs = {run[i : i + 2] for run in runs for i in range(len(run) - 1)}
    assert hanzi_grams(value) == sorted(set("".join(runs)) | pairs)


def test_query_words() -> None:
    assert query_words("  Минск  минск MINSK  重庆abc ") == [
        "минск",
        "minsk",
        "重庆abc",
    ]
    assert query_words("") == []
    words = query_words(" ".join(f"w{i}" for i in range(30)))
    assert words == [f"w{i}" for i in range(20)]


def test_like_pattern_escapes() -> None:
    assert like_pattern("100%") == "%100\\%%"
    assert like_pattern("a_b") == "%a\\_b%"
    assert like_pattern("a\\b") == "%a\\\\b%"
    assert _like("x 100% y", like_pattern("100%"))
    assert not _like("x 1000 y", like_pattern("100%"))
    assert _like("a_b", like_pattern("a_b"))
    assert not _like("axb", like_pattern("a_b"))
