"""Bulk import over HTTP: matching, whole-state rows, all or nothing, formats, limits."""

import gc
import json
import re
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from registry.extensions import db
from registry.records import bulk, imports, pg_bulk
from tests.builders import chongqing_institution, institution, partnership, post, reagent
from tests.builders_integration import (
    NDJSON,
    csv_body,
    import_body,
    imported,
    listed,
    written,
)

URL = "/api/v1/institutions"
HEADER = ["names.ru", "names.en", "kind", "country", "region", "city", "identifiers"]


def ident(value: str) -> str:
    return json.dumps([{"scheme": "other", "value": value}])


def row(name: str, city: str = "", identifier: str = "", **cells) -> list[str]:
    base = {"kind": "hospital", "country": "BY", "region": "BY-MI", **cells}
    ids = ident(identifier) if identifier else ""
    return [name, name + " en", base["kind"], base["country"], base["region"], city, ids]


def test_csv_creates_records_with_history_audit_and_feed(client, keys):
    data = csv_body(HEADER, [row("Первая", "Борисов"), row("Вторая", identifier="K-2")])
    assert imported(client, "institutions", data, keys["clerk"]) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    items = {i["names"]["ru"]: i for i in listed(client, "institutions", keys["clerk"])}
    assert items["Первая"]["city"] == "Борисов" and items["Первая"]["version"] == 1
    assert items["Вторая"]["identifiers"] == [{"scheme": "other", "value": "K-2"}]
    history = client.get(f"{URL}/{items['Вторая']['id']}/history", headers=keys["clerk"])
    assert [(h["action"], h["actor"]) for h in history.get_json()["items"]] == [
        ("created", "clerk-tester")
    ]
    feed = client.get("/api/v1/changes", headers=keys["admin"]).get_json()["items"]
    assert sorted(f["id"] for f in feed) == sorted(i["id"] for i in items.values())
    audit = client.get("/api/v1/audit?actor=clerk-tester", headers=keys["admin"]).get_json()
    assert len(audit["items"]) == 2


def test_rows_match_by_id_then_natural_key_else_create(client, keys):
    by_id = post(client, URL, institution(city="Слуцк"), keys["clerk"])
    by_key = post(
        client, URL, institution(identifiers=[{"scheme": "other", "value": "K-9"}]), keys["clerk"]
    )
    header = ["id", *HEADER]
    rows = [
        [by_id["id"], *row("Новое имя", "Слуцк")],
        ["", *row("По ключу", "Жодино", identifier="K-9")],
        ["", *row("Новая")],
    ]
    counts = imported(client, "institutions", csv_body(header, rows), keys["clerk"])
    assert counts == {"created": 1, "updated": 2, "unchanged": 0}
    got = client.get(f"{URL}/{by_id['id']}", headers=keys["clerk"]).get_json()
    assert got["names"] == {"ru": "Новое имя", "en": "Новое имя en"} and got["version"] == 2
    got = client.get(f"{URL}/{by_key['id']}", headers=keys["clerk"]).get_json()
    assert got["city"] == "Жодино" and got["version"] == 2
    assert len(listed(client, "institutions", keys["clerk"])) == 3


def test_a_matched_row_is_the_whole_new_state(client, keys):
    rec = post(client, URL, institution(city="Слуцк", address="ул. Ленина, 1"), keys["clerk"])
    header = ["id", "names.ru", "kind", "country", "region", "city"]
    data = csv_body(header, [[rec["id"], "Больница", "clinic", "BY", "BY-MI", ""]])
    assert imported(client, "institutions", data, keys["clerk"])["updated"] == 1
    got = client.get(f"{URL}/{rec['id']}", headers=keys["clerk"]).get_json()
    # The empty cell and the absent columns (address, names.en) both clear their fields.
    assert "city" not in got and "address" not in got
    assert got["names"] == {"ru": "Больница"} and got["kind"] == "clinic"


def test_unchanged_rows_write_nothing(client, keys):
    data = csv_body(HEADER, [row("Одна", identifier="K-1"), row("Другая", identifier="K-2")])
    imported(client, "institutions", data, keys["clerk"])
    before = written(client, keys["admin"])
    again = imported(client, "institutions", data, keys["clerk"])
    assert again == {"created": 0, "updated": 0, "unchanged": 2}
    assert written(client, keys["admin"]) == before
    assert {i["version"] for i in listed(client, "institutions", keys["clerk"])} == {1}


def test_every_bad_row_is_reported_and_nothing_is_written(client, keys):
    post(client, URL, institution(), keys["clerk"])
    before = written(client, keys["admin"])
    unknown = "00000000-0000-4000-8000-000000000000"
    rows = [
        ["", *row("Хорошая")],
        ["", *row("Плохой вид", kind="spa")],
        [unknown, *row("Чужой id")],
        ["", *row("Хорошая тоже")],
        ["", *row("Плохой регион", region="CN-CQ")],
    ]
    response = import_body(client, "institutions", csv_body(["id", *HEADER], rows), keys["clerk"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    errors = {(e["row"], e["field"]) for e in response.get_json()["errors"]}
    assert errors == {(2, "kind"), (3, "id"), (5, "region")}
    assert written(client, keys["admin"]) == before


def test_two_rows_for_one_record_and_rule_conflicts_are_row_errors(client, keys):
    first = post(
        client, URL, institution(identifiers=[{"scheme": "other", "value": "A"}]), keys["clerk"]
    )
    other = post(client, URL, institution(), keys["clerk"])
    rows = [
        [first["id"], *row("Раз", identifier="A")],
        ["", *row("Два", identifier="A")],  # the same record again, by its key
        [other["id"], *row("Три", identifier="A")],  # takes an identifier of another record
        ["", *row("Четыре", identifier="NEW")],
        ["", *row("Пять", identifier="NEW")],  # the same new record twice
    ]
    response = import_body(client, "institutions", csv_body(["id", *HEADER], rows), keys["clerk"])
    assert response.status_code == 422
    errors = {(e["row"], e["field"]) for e in response.get_json()["errors"]}
    assert errors == {(2, "identifiers"), (3, "identifiers"), (5, "identifiers")}
    assert len(listed(client, "institutions", keys["clerk"])) == 2


def test_rules_see_the_stored_record(client, keys):
    side = post(client, URL, institution(names={"ru": "Борисовская ЦРБ"}), keys["clerk"])
    other = post(client, URL, chongqing_institution(), keys["clerk"])
    post(client, "/api/v1/partnerships", partnership(side["id"], other["id"]), keys["clerk"])
    header = ["id", "names.ru", "kind", "country", "region"]
    data = csv_body(header, [[side["id"], "Борисовская ЦРБ", "hospital", "BY", "BY-HM"]])
    response = import_body(client, "institutions", data, keys["clerk"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [(e["row"], e["field"]) for e in response.get_json()["errors"]] == [(1, "region")]
    got = client.get(f"{URL}/{side['id']}", headers=keys["clerk"]).get_json()
    assert got["region"] == "BY-MI" and got["version"] == 1


@pytest.mark.parametrize("city", ["", "Жодино"], ids=["same", "changed"])
def test_two_rows_for_one_new_record_in_different_chunks(client, keys, monkeypatch, city):
    monkeypatch.setattr(imports, "CHUNK", 2)  # the record is written before its second row
    rows = [row("Четыре", identifier="NEW"), row("Другая"), row("Четыре", city, identifier="NEW")]
    response = import_body(client, "institutions", csv_body(HEADER, rows), keys["clerk"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [(e["row"], e["field"]) for e in response.get_json()["errors"]] == [(3, "identifiers")]
    assert listed(client, "institutions", keys["clerk"]) == []


def test_a_key_an_update_frees_is_free_for_the_next_chunk(client, keys, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)  # the update goes in before chunk 2 is matched
    old = post(
        client, URL, institution(identifiers=[{"scheme": "other", "value": "OLD"}]), keys["clerk"]
    )
    name = old["names"]["ru"]
    rows = [
        [old["id"], *row(name, identifier="RENAMED")],
        ["", *row("Другая")],
        ["", *row("Новая", identifier="OLD")],  # the key the first row gave up
    ]
    data = csv_body(["id", *HEADER], rows)
    assert imported(client, "institutions", data, keys["clerk"]) == {
        "created": 2,
        "updated": 1,
        "unchanged": 0,
    }
    holders = {
        item["identifiers"][0]["value"]: item["names"]["ru"]
        for item in listed(client, "institutions", keys["clerk"])
        if item.get("identifiers")
    }
    assert holders == {"RENAMED": name, "OLD": "Новая"}


def test_the_rules_read_nothing_while_a_chunk_is_written(app, client, keys, monkeypatch):
    """A rule's read (a region moved: is the record a partnership's side?) waits until the
    chunk before, written on the writer's thread meanwhile, is in."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    records = [
        post(client, URL, institution(names={"ru": f"ЦРБ {n}"}), keys["clerk"]) for n in range(6)
    ]
    writing = threading.Event()
    insert_rows = bulk.insert_rows

    def slow_insert_rows(connection, table, rows):
        writing.set()
        time.sleep(0.05)
        insert_rows(connection, table, rows)
        writing.clear()

    monkeypatch.setattr(bulk, "insert_rows", slow_insert_rows)
    importing, meanwhile = threading.get_ident(), []

    def seen(_connection, _cursor, statement, *_):
        if threading.get_ident() == importing and writing.is_set():
            meanwhile.append(statement)

    rows = [
        [r["id"], *row(r["names"]["ru"], identifier=f"K{n}", region="BY-HM")]
        for n, r in enumerate(records)
    ]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            counts = imported(
                client, "institutions", csv_body(["id", *HEADER], rows), keys["clerk"]
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    assert counts == {"created": 0, "updated": 6, "unchanged": 0}
    assert meanwhile == []
    assert {i["region"] for i in listed(client, "institutions", keys["clerk"])} == {"BY-HM"}


def test_a_failed_write_is_the_answer_while_the_next_chunk_is_decided(client, keys, monkeypatch):
    """The writer's thread fails on the first chunk while this thread's rules read for the
    second: the answer is the write's 409, not what a database in a failed transaction says."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    records = [
        post(client, URL, institution(names={"ru": f"ЦРБ {n}"}), keys["clerk"]) for n in range(4)
    ]
    insert_rows = bulk.insert_rows

    def twice(connection, table, rows):  # as if another writer took the identifiers first
        insert_rows(connection, table, rows)
        if table.name == "institution_identifiers":
            insert_rows(connection, table, rows)

    monkeypatch.setattr(bulk, "insert_rows", twice)
    rows = [
        [r["id"], *row(r["names"]["ru"], identifier=f"K{n}", region="BY-HM")]
        for n, r in enumerate(records)
    ]
    response = import_body(client, "institutions", csv_body(["id", *HEADER], rows), keys["clerk"])
    assert response.status_code == 409, response.get_data(as_text=True)
    assert {i["region"] for i in listed(client, "institutions", keys["clerk"])} == {"BY-MI"}


def test_an_import_leaves_the_garbage_collector_as_it_found_it(client, keys):
    before = gc.get_threshold(), gc.get_freeze_count()
    good = csv_body(HEADER, [row("Одна")])
    bad = csv_body(HEADER, [row("Плохая", kind="spa")])
    assert import_body(client, "institutions", good, keys["clerk"]).status_code == 200
    assert import_body(client, "institutions", bad, keys["clerk"]).status_code == 422
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def _pending_pages(app, table: str) -> int:
    """Pages that the GIN indexes of a PostgreSQL table hold in their pending lists (merged
    into their trees by the count)."""
    with app.app_context(), db.engine.connect() as connection:
        merged = connection.execute(
            text(
                "SELECT sum(gin_clean_pending_list(indexrelid)) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE indrelid = CAST(:t AS regclass) AND amname = 'gin'"
            ),
            {"t": table},
        ).scalar()
        connection.commit()
    return merged


def test_a_second_connection_merges_the_gin_pending_lists_while_an_import_writes(
    app, client, keys, monkeypatch
):
    """On PostgreSQL the new rows' search index entries move from the GIN indexes' pending
    lists into their trees while the import still writes, from another connection, and the
    lists are empty once it succeeded. On SQLite nothing of the kind runs."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    watched: list[pg_bulk.Merged] = []
    alongside = imports.gin_merged_alongside

    @contextmanager
    def watching(table: str):
        with alongside(table) as merged:
            watched.append(merged)
            yield merged

    merged_while_writing = []
    insert_rows = bulk.insert_rows
    deadline = time.monotonic() + 10

    def then_wait_for_a_merge(connection, table, rows):
        insert_rows(connection, table, rows)
        while postgresql and not watched[0].pages and time.monotonic() < deadline:
            time.sleep(0.01)
        merged_while_writing.append(watched[0].pages)

    monkeypatch.setattr(imports, "gin_merged_alongside", watching)
    monkeypatch.setattr(bulk, "insert_rows", then_wait_for_a_merge)
    names = [f"Диспансер {n}" for n in range(7)]
    imported(client, "institutions", csv_body(HEADER, [row(n) for n in names]), keys["clerk"])
    if postgresql:
        assert merged_while_writing[0] > 0
        assert _pending_pages(app, "institutions") == 0
    else:
        assert watched[0].pages == 0
    found = client.get(f"{URL}?q=диспансер&limit=10", headers=keys["clerk"]).get_json()
    assert sorted(item["names"]["ru"] for item in found["items"]) == names


def test_an_import_goes_on_when_the_gin_merge_fails(app, client, keys, monkeypatch, caplog):
    """As when the app's database role does not own the indexes: its own backend merges."""
    monkeypatch.setattr(pg_bulk, "_MERGE", text("SELECT gin_clean_pending_list(0)"))
    counts = imported(client, "institutions", csv_body(HEADER, [row("Хоспис")]), keys["clerk"])
    assert counts == {"created": 1, "updated": 0, "unchanged": 0}
    failed = [r for r in caplog.records if "pending lists alongside failed" in r.getMessage()]
    assert len(failed) == app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    found = client.get(f"{URL}?q=хоспис", headers=keys["clerk"]).get_json()["items"]
    assert [item["names"]["ru"] for item in found] == ["Хоспис"]


def test_dry_run_validates_and_writes_nothing(client, keys):
    before = written(client, keys["admin"])
    data = csv_body(HEADER, [row("Проба"), row("Ещё")])
    response = import_body(client, "institutions", data, keys["clerk"], query="?dry_run=true")
    assert response.status_code == 200
    assert response.get_json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert written(client, keys["admin"]) == before
    bad = csv_body(HEADER, [row("Проба", kind="spa")])
    response = import_body(client, "institutions", bad, keys["clerk"], query="?dry_run=true")
    assert response.status_code == 422 and response.get_json()["errors"][0]["row"] == 1


@pytest.mark.parametrize(
    ("delimiter", "bom", "query"),
    [(";", False, ""), (";", True, "?delimiter=;"), (",", True, ""), (",", False, "")],
)
def test_delimiter_and_bom(client, keys, delimiter, bom, query):
    data = csv_body(HEADER, [row("Точка; с запятой", "Минск, центр")], delimiter, bom)
    response = import_body(client, "institutions", data, keys["clerk"], query=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    (item,) = listed(client, "institutions", keys["clerk"])
    assert item["names"]["ru"] == "Точка; с запятой" and item["city"] == "Минск, центр"


def test_read_only_columns_are_ignored(client, keys):
    header = [*HEADER, "version", "created_at", "updated_at"]
    data = csv_body(header, [[*row("Только чтение"), "99", "вчера", "never"]])
    assert imported(client, "institutions", data, keys["clerk"])["created"] == 1
    (item,) = listed(client, "institutions", keys["clerk"])
    assert item["version"] == 1 and item["created_at"].endswith("Z")


def test_header_problems(client, keys):
    response = import_body(
        client, "institutions", csv_body(["names.ru", "colour"], []), keys["clerk"]
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"row": 0, "field": "colour", "message": "Not a column of this collection's export."}
    ]
    assert import_body(client, "institutions", b"", keys["clerk"]).status_code == 422
    twice = csv_body(["kind", "kind"], [["hospital", "clinic"]])
    assert import_body(client, "institutions", twice, keys["clerk"]).status_code == 422


def test_ndjson_rows(client, keys):
    rec = post(client, URL, institution(), keys["clerk"])
    lines = [
        json.dumps({**institution(), "id": rec["id"], "city": "Вилейка", "version": 7}),
        "",
        json.dumps(institution()),
        "   ",
    ]
    data = "\ufeff".encode() + "\n".join(lines).encode()  # with a BOM, as CSV may have
    assert imported(client, "institutions", data, keys["clerk"], NDJSON) == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
    }
    got = client.get(f"{URL}/{rec['id']}", headers=keys["clerk"]).get_json()
    assert got["city"] == "Вилейка" and got["version"] == 2
    bad = (
        b'{"names": {"ru": "x"}}\n\n[1, 2]\n{not json\n'
        + json.dumps({**institution(), "websit": None}).encode()
    )
    response = import_body(client, "institutions", bad, keys["clerk"], NDJSON)
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.get_json()["errors"]} >= {
        (1, "kind"),
        (3, ""),
        (4, ""),
        (5, "websit"),
    }


def test_ndjson_line_over_the_body_limit(app, client, keys):
    app.config["MAX_BODY_BYTES"] = 200
    long_line = json.dumps(institution(address="д" * 400)).encode()
    data = long_line + b"\n" + json.dumps(institution()).encode()
    response = import_body(client, "institutions", data, keys["clerk"], NDJSON)
    assert response.status_code == 422
    assert [e["row"] for e in response.get_json()["errors"]] == [1]


def test_reagent_rows_with_nested_list_and_number_columns(client, keys):
    supplier = post(client, URL, institution(kind="manufacturer"), keys["clerk"])
    existing = post(client, "/api/v1/reagents", reagent(supplier["id"]), keys["clerk"])
    header = [
        "supplier_id", "names.ru", "category", "catalog_number", "price.amount",
        "price.currency", "registration.number", "registration.valid_until",
        "substitutes", "pack", "registration_status",
    ]  # fmt: skip
    substitutes = json.dumps([{"product": "Cobas PCR kit", "manufacturer": "Roche"}])
    rows = [
        [supplier["id"], "Набор", "pcr", existing["catalog_number"], "12.5", "BYN",
         "ИМ-7.1", "2030-01-01", substitutes, "96", "valid"],
        [supplier["id"], "Другой", "elisa", "NEW-1", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    counts = imported(client, "reagents", csv_body(header, rows), keys["clerk"])
    assert counts == {"created": 1, "updated": 1, "unchanged": 0}
    got = client.get(f"/api/v1/reagents/{existing['id']}", headers=keys["clerk"]).get_json()
    assert got["price"] == {"amount": "12.50", "currency": "BYN"} and got["pack"] == 96
    assert got["substitutes"] == [{"product": "Cobas PCR kit", "manufacturer": "Roche"}]
    assert got["registration_status"] == "valid" and got["version"] == 2
    rows[1][8], rows[1][9] = "[{broken", "many"
    response = import_body(client, "reagents", csv_body(header, rows), keys["clerk"])
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.get_json()["errors"]} == {
        (2, "substitutes"),
        (2, "pack"),
    }


def test_a_chunk_reads_its_suppliers_in_one_query(app, client, keys):
    suppliers = [post(client, URL, institution(), keys["clerk"])["id"] for _ in range(4)]
    rows = [[supplier, f"Набор {n}", "pcr", f"CAT-{n}"] for n, supplier in enumerate(suppliers * 2)]
    body = csv_body(["supplier_id", "names.ru", "category", "catalog_number"], rows)
    statements = []
    with app.app_context():
        engine = db.engine
    seen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", seen)
    try:
        counts = imported(client, "reagents", body, keys["clerk"])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert counts == {"created": 8, "updated": 0, "unchanged": 0}
    assert len([s for s in statements if re.search(r"FROM institutions\b", s)]) == 1


def test_status_codes(app, client, keys):
    data = csv_body(HEADER, [row("Одна")])
    assert import_body(client, "partnerships", data, keys["clerk"]).status_code == 404
    assert import_body(client, "institutions", data, keys["procurement"]).status_code == 403
    assert client.post("/api/v1/imports/institutions", data=data).status_code == 401
    as_json = {"Content-Type": "application/json"}
    assert import_body(client, "institutions", data, keys["clerk"], as_json).status_code == 415
    latin = {"Content-Type": "text/csv; charset=latin-1"}
    assert import_body(client, "institutions", data, keys["clerk"], latin).status_code == 415
    response = import_body(client, "institutions", data, keys["clerk"], query="?colour=red")
    assert response.status_code == 422
    response = import_body(client, "institutions", b"\xff\xfe" + data, keys["clerk"])
    assert response.status_code == 400
    app.config["MAX_IMPORT_BYTES"] = 20
    assert import_body(client, "institutions", data, keys["clerk"]).status_code == 413
    assert len(listed(client, "institutions", keys["clerk"])) == 0


def test_an_import_is_idempotent_with_a_key(client, keys):
    data = csv_body(HEADER, [row("Одна"), row("Две")])
    headers = {**keys["integration"], "Idempotency-Key": "import-2024-01"}
    first = import_body(client, "institutions", data, headers)
    assert first.status_code == 200
    before = written(client, keys["admin"])
    again = import_body(client, "institutions", data, headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert written(client, keys["admin"]) == before
    other = import_body(client, "institutions", csv_body(HEADER, [row("Три")]), headers)
    assert other.status_code == 409
    dry = import_body(client, "institutions", data, headers, query="?dry_run=true")
    assert dry.status_code == 409  # another request under the same key
    assert written(client, keys["admin"]) == before


@pytest.mark.parametrize(
    "chunk, ahead",
    [(imports.CHUNK, False), (2, False), (2, True)],
    ids=["one chunk", "chunks of two", "chunks of two, every row validated ahead"],
)
def test_imported_records_are_searchable(app, client, keys, monkeypatch, chunk, ahead):
    def names(q: str) -> list[str]:
        found = client.get(f"{URL}?q={q}", headers=keys["clerk"]).get_json()["items"]
        return [item["names"]["ru"] for item in found]

    # Chunks of two rows, each written in INSERTs of one row on SQLite, indexed chunk by chunk.
    monkeypatch.setattr(imports, "CHUNK", chunk)
    if ahead:  # as while the database writes the chunk before: search keys worked out early
        monkeypatch.setattr(bulk.ChunkWriter, "busy", lambda writer: True)
    monkeypatch.setattr(bulk, "SQLITE_ROWS", 1 if chunk == 2 else bulk.SQLITE_ROWS)
    more = ["Роддом", "Госпиталь ветеранов", "Хоспис"]
    data = csv_body(
        HEADER,
        [row("Кардиологический центр"), row("Онкологический диспансер")] + list(map(row, more)),
    )
    imported(client, "institutions", data, keys["clerk"])
    assert names("кардиолог") == ["Кардиологический центр"]
    assert [names(name.lower()) for name in more] == [[name] for name in more]
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # each row indexed once, as its content says
            for index in ("institutions_trigrams", "institutions_hanzi"):
                check = f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)"
                db.session.execute(text(check))
    # The index keeps up with later writes too (the import put its triggers back).
    (first,) = client.get(f"{URL}?q=кардиолог", headers=keys["clerk"]).get_json()["items"]
    patch = {"names": {"ru": "Глазная клиника", "en": None}}
    assert (
        client.patch(f"{URL}/{first['id']}", json=patch, headers=keys["clerk"]).status_code == 200
    )
    imported(client, "institutions", csv_body(HEADER, [row("Детская больница")]), keys["clerk"])
    assert names("глазная") == ["Глазная клиника"] and names("кардиолог") == []
    assert names("детская") == ["Детская больница"]
    assert names("диспансер") == ["Онкологический диспансер"]
