"""Exports: CSV as the contract says, NDJSON, XLSX, filters without paging, and the round trip."""

import csv
import io
import json
import threading

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from registry.api import RESOURCES
from registry.extensions import db
from registry.records import listing
from registry.records.export import Column, columns, csv_lines, rows
from registry.records.import_plan import StoredRecord
from tests.builders import (
    chongqing_institution,
    contact,
    exchange,
    institution,
    partnership,
    post,
    reagent,
)
from tests.builders_integration import (
    NDJSON,
    csv_table,
    export,
    import_body,
    imported,
    table_body,
    written,
)

URL = "/api/v1/institutions"


def test_csv_has_a_bom_the_columns_and_either_delimiter(client, keys):
    post(client, URL, institution(specialties=["tcm", "surgery"], city="Минск"), keys["clerk"])
    data = export(client, "institutions", keys["procurement"])
    assert data.startswith("\ufeff".encode())
    header, line = data.decode("utf-8-sig").splitlines()
    assert header.split(",")[:3] == ["id", "names.ru", "names.be"]
    assert {"identifiers", "specialties", "version", "created_at", "updated_at"} <= set(
        header.split(",")
    )
    assert "tcm;surgery" in line
    semi = export(client, "institutions", keys["procurement"], "&delimiter=;")
    assert semi.decode("utf-8-sig").splitlines()[0].startswith("id;names.ru;names.be;")
    response = client.get(f"{URL}?format=csv", headers=keys["procurement"])
    assert response.mimetype == "text/csv" and response.get_data() == data
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]


def test_formula_cells_are_neutralised_and_restored_by_import(client, keys):
    rec = post(
        client,
        URL,
        institution(
            names={"ru": '=HYPERLINK("http://x")', "en": "'quoted"}, phone="+375 17 222-33-44"
        ),
        keys["clerk"],
    )
    (row,) = csv_table(export(client, "institutions", keys["clerk"]))
    assert row["names.ru"] == '\'=HYPERLINK("http://x")'
    assert row["names.en"] == "''quoted" and row["phone"] == "'+375172223344"
    counts = imported(client, "institutions", table_body([row]), keys["clerk"])
    assert counts == {"created": 0, "updated": 0, "unchanged": 1}
    got = client.get(f"{URL}/{rec['id']}", headers=keys["clerk"]).get_json()
    assert got["names"]["ru"].startswith("=") and got["version"] == 1


def test_filters_apply_and_paging_does_not(client, keys):
    for _ in range(3):
        post(client, URL, institution(), keys["clerk"])
    for _ in range(2):
        post(client, URL, chongqing_institution(), keys["clerk"])
    rows = csv_table(export(client, "institutions", keys["clerk"], "&region=BY-MI&limit=1"))
    assert len(rows) == 3 and {r["region"] for r in rows} == {"BY-MI"}
    response = client.get(f"{URL}?format=ndjson&country=CN&limit=1", headers=keys["clerk"])
    assert response.mimetype == "application/x-ndjson"
    docs = [orjson.loads(line) for line in response.get_data().splitlines()]
    assert len(docs) == 2 and {d["country"] for d in docs} == {"CN"}
    listed = client.get(f"{URL}?country=CN", headers=keys["clerk"]).get_json()["items"]
    assert sorted(docs, key=lambda d: d["id"]) == sorted(listed, key=lambda d: d["id"])


@pytest.mark.parametrize("collection", ["institutions", "contacts"])
def test_an_export_reads_batch_after_batch_in_the_list_order(client, keys, monkeypatch, collection):
    monkeypatch.setattr(listing, "EXPORT_BATCH", 2)  # five records: three batches
    holder = post(client, URL, institution(), keys["clerk"])
    for _ in range(5 if collection == "contacts" else 4):
        body = contact(holder["id"]) if collection == "contacts" else institution()
        post(client, f"/api/v1/{collection}", body, keys["clerk"])
    path = f"/api/v1/{collection}?sort=name&limit=500"
    listed = client.get(path, headers=keys["clerk"]).get_json()["items"]
    assert len(listed) == 5
    ndjson = client.get(f"{path}&format=ndjson", headers=keys["clerk"]).get_data()
    assert [orjson.loads(line) for line in ndjson.splitlines()] == listed
    rows = csv_table(export(client, collection, keys["clerk"], "&sort=name"))
    assert [row["id"] for row in rows] == [item["id"] for item in listed]


def test_every_batch_of_an_export_searches_what_the_role_may_see(client, keys, monkeypatch):
    """Batches after the first are read elsewhere (on PostgreSQL by another thread): each
    searches what the caller's role may see, e-mail addresses without consent only for a
    clerk."""
    monkeypatch.setattr(listing, "EXPORT_BATCH", 1)
    holder = post(client, URL, institution(), keys["clerk"])["id"]
    for name, email in [
        ("Aaron", "zeta.a@example.org"),
        ("Abel", "zeta.b@example.org"),
        ("Zeta One", None),
        ("Zeta Two", None),
    ]:
        body = contact(holder, full_name={"en": name}, **({"email": email} if email else {}))
        post(client, "/api/v1/contacts", body, keys["clerk"])

    def exported(role: str) -> list[str]:
        data = export(client, "contacts", keys[role], "&q=zeta&sort=name")
        return [row["full_name.en"] for row in csv_table(data)]

    assert exported("clerk") == ["Aaron", "Abel", "Zeta One", "Zeta Two"]
    assert exported("procurement") == ["Zeta One", "Zeta Two"]


def test_an_export_left_half_read_gives_back_its_connections(app, client, keys, monkeypatch):
    """A client that stops reading mid-export (PostgreSQL's next batch then being read by
    another thread) leaves no connection checked out and no reading thread behind."""
    monkeypatch.setattr(listing, "EXPORT_BATCH", 100)
    bodies = b"\n".join(orjson.dumps(institution()) for _ in range(700))
    assert imported(client, "institutions", bodies, keys["clerk"], NDJSON)["created"] == 700
    threads = set(threading.enumerate())
    response = client.get(f"{URL}?format=csv", headers=keys["clerk"], buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith("\ufeff".encode())  # the BOM: the first batch is read
    assert next(chunks).count(b"\r\n") == 500  # the header and 499 of 700 records
    response.close()
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
    assert set(threading.enumerate()) <= threads  # other tests' threads may end meanwhile


def test_xlsx_opens_with_a_header_row(client, keys):
    for _ in range(2):
        post(client, URL, institution(specialties=["tcm"]), keys["clerk"])
    response = client.get(f"{URL}?format=xlsx", headers=keys["clerk"])
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    csv_header = list(csv_table(export(client, "institutions", keys["clerk"]))[0])
    assert list(rows[0]) == csv_header
    assert len(rows) == 3 and rows[1][csv_header.index("specialties")] == "tcm"


def test_xlsx_shows_control_characters_as_replacement_characters(client, keys):
    names = {"en": "Ctrl\u0001char\u000binst"}
    post(client, URL, institution(names=names, city="a\u0002b"), keys["clerk"])
    response = client.get(f"{URL}?format=xlsx", headers=keys["clerk"])
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    assert "Ctrl\ufffdchar\ufffdinst" in rows[1] and "a\ufffdb" in rows[1]
    (row,) = csv_table(export(client, "institutions", keys["clerk"]))
    assert row["names.en"] == names["en"]  # CSV keeps them


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "xlsx"])
def test_an_export_it_cannot_sort_is_422_before_it_starts(client, keys, fmt):
    post(client, URL, institution(), keys["clerk"])
    response = client.get(f"/api/v1/reagents?format={fmt}&sort=-price", headers=keys["clerk"])
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == ["sort"]


def test_every_collection_exports(client, keys):
    minsk = post(client, URL, institution(), keys["clerk"])
    chongqing = post(client, URL, chongqing_institution(), keys["clerk"])
    post(client, "/api/v1/partnerships", partnership(minsk["id"], chongqing["id"]), keys["clerk"])
    post(client, "/api/v1/reagents", reagent(minsk["id"]), keys["clerk"])
    post(client, "/api/v1/contacts", contact(minsk["id"]), keys["clerk"])
    post(client, "/api/v1/exchanges", exchange([minsk["id"]]), keys["clerk"])
    for name in ("institutions", "partnerships", "reagents", "contacts", "exchanges"):
        for fmt in ("csv", "ndjson", "xlsx"):
            response = client.get(f"/api/v1/{name}?format={fmt}", headers=keys["clerk"])
            assert response.status_code == 200 and response.get_data(), (name, fmt)
        rows = csv_table(export(client, name, keys["clerk"]))
        assert len(rows) == (2 if name == "institutions" else 1) and rows[0]["id"], name


@pytest.fixture
def catalogue(client, keys) -> str:
    """Two suppliers' listings, with every kind of column filled somewhere; the supplier id."""
    supplier = post(client, URL, institution(kind="manufacturer"), keys["clerk"])
    full = reagent(
        supplier["id"],
        names={"ru": "ПЦР-набор", "zh": "试剂盒", "en": "-minus kit"},
        tnved_code="3822190000",
        registration={"number": "ИМ-7.1", "valid_until": "2031-05-01"},
        substitutes=[{"product": "Xpert", "manufacturer": "Cepheid", "country": "US"}],
        price={"amount": "12.30", "currency": "BYN"},
        pack=96,
        availability="in_stock",
    )
    post(client, "/api/v1/reagents", full, keys["clerk"])
    post(client, "/api/v1/reagents", reagent(supplier["id"]), keys["clerk"])
    # List items holding the separator or a backslash come back as they were.
    specialties = ["a;b", "C:\\x", "tcm", "end\\"]
    other = institution(identifiers=[{"scheme": "other", "value": "ID-1"}], specialties=specialties)
    post(client, URL, other, keys["clerk"])
    return supplier["id"]


@pytest.mark.parametrize("collection", ["institutions", "reagents"])
def test_unchanged_rows_are_known_by_the_stored_text(
    client, keys, catalogue, collection, monkeypatch
):
    """A re-import finds an exported row unchanged without parsing the stored record."""

    def unparsed(_record):
        raise AssertionError("the stored record was parsed")

    monkeypatch.setattr(StoredRecord, "doc", property(unparsed))
    rows = csv_table(export(client, collection, keys["integration"]))
    counts = imported(client, collection, table_body(rows), keys["integration"])
    assert counts == {"created": 0, "updated": 0, "unchanged": len(rows)}


@pytest.mark.parametrize("collection", ["institutions", "reagents"])
def test_round_trip(client, keys, catalogue, collection):
    rows = csv_table(export(client, collection, keys["integration"]))
    before = written(client, keys["admin"])
    counts = imported(client, collection, table_body(rows), keys["integration"])
    assert counts == {"created": 0, "updated": 0, "unchanged": len(rows)}
    assert written(client, keys["admin"]) == before
    edited = [dict(row) for row in rows]
    edited[0]["names.ru"] = "Новое имя"
    edited.append({**rows[-1], "id": "", "version": "", "names.ru": "Новая запись"})
    if collection == "reagents":
        edited[-1]["catalog_number"] = "BRAND-NEW"
    else:
        edited[-1]["identifiers"] = json.dumps([{"scheme": "other", "value": "ID-NEW"}])
    counts = imported(client, collection, table_body(edited), keys["integration"])
    assert counts == {"created": 1, "updated": 1, "unchanged": len(rows) - 1}
    got = client.get(f"/api/v1/{collection}/{rows[0]['id']}", headers=keys["clerk"]).get_json()
    assert got["names"]["ru"] == "Новое имя" and got["version"] == 2
    after = written(client, keys["admin"])
    edited[1]["region" if collection == "institutions" else "category"] = "nowhere"
    edited[0]["names.ru"] = "Ещё одно имя"
    response = import_body(client, collection, table_body(edited), keys["integration"])
    assert response.status_code == 422
    assert [e["row"] for e in response.get_json()["errors"]] == [2]
    assert written(client, keys["admin"]) == after


TEXT = st.text(st.sampled_from(list("a;,\"'\r\n=+-@\\ Мн重庆\t")), max_size=8)
VALUES = {
    "scalar": TEXT | st.none(),
    "int": st.integers(-(10**6), 10**6) | TEXT | st.none(),
    "bool": st.booleans() | st.none(),
    "json": st.lists(st.dictionaries(TEXT, TEXT, max_size=2), max_size=2) | st.none(),
    "list": st.lists(TEXT, max_size=3) | st.none(),
}


@st.composite
def stored_records(draw, columns: list[Column]) -> dict:
    """A record with any value of its column's kind at each path, or a part left out."""
    doc: dict = {}
    for column in columns:
        *parents, leaf = column.path
        place = doc
        for key in parents:
            place = place.setdefault(key, {}) if isinstance(place, dict) else None
        if isinstance(place, dict) and draw(st.booleans()):
            place[leaf] = draw(VALUES[column.kind])
    return doc


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_lines_read_back_as_the_cells(resource, delimiter):
    """The export's own line writer (cells joined, quoted where a line needs it) read by
    `csv.reader` gives every cell back, for text full of delimiters, quotes, line breaks and
    formula-like starts; a line that needs no quotes is what `csv.writer` writes."""

    @settings(max_examples=150, deadline=None)
    @given(st.lists(stored_records(columns(resource)), max_size=4))
    def check(docs):
        lines = list(csv_lines(resource, docs, delimiter))
        written = "".join(line + "\r\n" for line in lines)
        cells = list(rows(resource, docs))
        assert list(csv.reader(io.StringIO(written), delimiter=delimiter)) == cells
        for line, row in zip(lines, cells, strict=True):
            expected = io.StringIO()
            csv.writer(expected, delimiter=delimiter, lineterminator="").writerow(row)
            assert line == expected.getvalue() or '"' in line

    check()
