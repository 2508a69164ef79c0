"""Exports: every matching record as CSV, NDJSON or XLSX, streamed in constant memory."""

import csv
import io
import itertools
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import orjson
from flask import Response, stream_with_context
from marshmallow import Schema, fields
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from registry.records.declaration import Resource
from registry.records.listing import every

FORMULA_STARTS = ("=", "+", "-", "@")
# A text cell starting with one of these gets a leading apostrophe, which import removes
# again; an apostrophe itself is escaped the same way, so every text comes back exactly.
ESCAPED_STARTS = (*FORMULA_STARTS, "'")
INTEGER = re.compile(r"-?[0-9]{1,18}")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """One flat column: its dotted name, the path into the record, and how it is written."""

    name: str
    path: tuple[str, ...]
    kind: str  # scalar, int, list (of scalars, `;`-joined), json (list of objects), bool


def _walk(schema: Schema, prefix: tuple[str, ...] = ()) -> Iterator[Column]:
    for name, field in schema.fields.items():
        if field.dump_only:  # id, version, timestamps and computed fields come apart
            continue
        path = (*prefix, field.data_key or name)
        if isinstance(field, fields.Nested) and not field.many:
            yield from _walk(field.schema, path)
        elif isinstance(field, fields.Nested) or (
            isinstance(field, fields.List) and isinstance(field.inner, fields.Nested | fields.Dict)
        ):
            yield Column(".".join(path), path, "json")
        elif isinstance(field, fields.List):
            yield Column(".".join(path), path, "list")
        elif isinstance(field, fields.Boolean):
            yield Column(".".join(path), path, "bool")
        elif isinstance(field, fields.Integer):
            yield Column(".".join(path), path, "int")
        elif isinstance(field, fields.Dict):
            yield Column(".".join(path), path, "json")
        else:
            yield Column(".".join(path), path, "scalar")


def columns(resource: Resource) -> list[Column]:
    """The export (and import) columns of a resource, derived from its schema."""
    head = [Column("id", ("id",), "scalar")]
    body = list(_walk(resource.schema))
    computed = [Column(name, (name,), "scalar") for name in resource.computed]
    meta = [Column(n, (n,), "scalar") for n in ("version", "created_at", "updated_at")]
    return head + body + computed + meta


def _text(value) -> str:
    """A scalar as the text of one cell; formula-like text gets a leading apostrophe."""
    if value.__class__ is str:
        return "'" + value if value.startswith(ESCAPED_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Per column kind, how a value is written: each the text of one cell.
WRITERS: dict[str, Callable[[object], str]] = {
    "scalar": _text,
    "int": _text,
    "bool": lambda value: "" if value is None else ("true" if value else "false"),
    "json": lambda value: "" if value is None else orjson.dumps(value).decode(),
    "list": lambda value: "" if value is None else _text(";".join(map(_item, value))),
}


def _item(value) -> str:
    """One item of a `;`-joined list: a `;` or `\\` inside it is written `\\;` or `\\\\`."""
    text = str(value)
    if "\\" in text or ";" in text:
        return text.replace("\\", "\\\\").replace(";", "\\;")
    return text


def split_items(text: str) -> list[str]:
    """The items of a `;`-joined list cell, `\\;` and `\\\\` read back as `;` and `\\`; any
    other backslash is kept as it is."""
    if "\\" not in text:
        return text.split(";")
    items, item, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and text[i + 1 : i + 2] in (";", "\\"):
            item.append(text[i + 1])
            i += 2
            continue
        if char == ";":
            items.append("".join(item))
            item = []
        else:
            item.append(char)
        i += 1
    items.append("".join(item))
    return items


def cell_reader(column: Column) -> Callable[[dict], str]:
    """How a column's cell is taken from a record: its path walked (a missing or non-object
    step gives an empty cell) and the value written. Made once per export: a million rows
    call it for every column."""
    write = WRITERS[column.kind]
    first, *rest = column.path
    if not rest:
        return lambda doc: write(doc.get(first))

    def read(doc: dict) -> str:
        value = doc.get(first)
        for key in rest:
            if not isinstance(value, dict):
                return ""
            value = value.get(key)
        return write(value)

    return read


def unescaped(text: str) -> str:
    """A cell's text without the apostrophe that `_text` puts before formula-like text."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1] in ESCAPED_STARTS else text


def read_cell(text: str, kind: str):
    """The inverse of `cell`: a cell's text as a body value, None when empty.

    Text that is not of the column's kind stays text, for the schema to name the field;
    a JSON column that does not parse raises ValueError.
    """
    text = unescaped(text)
    if not text.strip():
        return None
    if kind == "list":
        return [item for item in split_items(text) if item.strip()] or None
    if kind == "json":
        return orjson.loads(text)
    if kind == "bool":
        return {"true": True, "false": False}.get(text.strip().lower(), text)
    if kind == "int":
        return int(text) if INTEGER.fullmatch(text.strip()) else text
    return text


def rows(resource: Resource, docs: Iterable[dict]) -> Iterator[list[str]]:
    cols = columns(resource)
    yield [c.name for c in cols]
    readers = [cell_reader(c) for c in cols]
    for doc in docs:
        yield [read(doc) for read in readers]


def _csv(lines: Iterator[list[str]], delimiter: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff".encode()
    while batch := list(itertools.islice(lines, 500)):
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def _ndjson(docs: Iterator[dict]) -> Iterator[bytes]:
    batch = []
    for doc in docs:
        batch.append(orjson.dumps(doc))
        if len(batch) >= 500:
            yield b"\n".join(batch) + b"\n"
            batch = []
    if batch:
        yield b"\n".join(batch) + b"\n"


def _xlsx(lines: Iterator[list[str]], title: str) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for line in lines:
        # A spreadsheet cannot hold control characters (csv and ndjson keep them).
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", text) for text in line])
    # Write-only mode keeps rows on disk; the finished file is streamed back in chunks.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(256 * 1024):
            yield chunk


def stream(resource: Resource, args: dict, role: str) -> Response:
    """The export response for a list request with format=csv|ndjson|xlsx."""
    fmt = args["format"]
    docs = every(resource, args, role)
    if fmt == "ndjson":
        body = _ndjson(docs)
    elif fmt == "csv":
        body = _csv(rows(resource, docs), args["delimiter"])
    else:
        body = _xlsx(rows(resource, docs), resource.name)
    response = Response(stream_with_context(body), content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{resource.name}.{fmt}"'
    if resource.private_headers:
        response.headers["Cache-Control"] = "no-store"
    return response
