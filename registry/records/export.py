"""Exports: every matching record as CSV, NDJSON or XLSX, streamed in constant memory."""

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


def _plain(value) -> str:
    """A value of a scalar or integer column as its cell's text (text values never come here:
    they are their own text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Per column kind: whether a text value is the cell's text as it is, and how any other value
# is written (as the text of one cell, before `_escaped`).
KINDS: dict[str, tuple[bool, Callable[[object], str]]] = {
    "scalar": (True, _plain),
    "int": (True, _plain),
    "bool": (False, lambda value: "" if value is None else ("true" if value else "false")),
    "json": (False, lambda value: "" if value is None else orjson.dumps(value).decode()),
    "list": (False, lambda value: "" if value is None else ";".join(map(_item, value))),
}
# Kinds whose cells a spreadsheet could run as a formula (JSON starts with `[`, `{` or `"`).
ESCAPED_KINDS = frozenset({"scalar", "int", "list"})


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


def _steps(cols: list[tuple[tuple[str, ...], Column]]) -> tuple:
    """How `cell_texts` walks a record: a step per key at this depth, in column order, each
    (key, inner steps or None for a cell, whether text passes, writer, its empty cells)."""
    steps = []
    for (key, leaf), group in itertools.groupby(cols, lambda c: (c[0][0], len(c[0]) == 1)):
        if leaf:
            for _, column in group:
                steps.append((key, None, *KINDS[column.kind], ()))
        else:
            inner = [(path[1:], column) for path, column in group]
            steps.append((key, _steps(inner), False, None, ("",) * len(inner)))
    return tuple(steps)


def _fill(cells: list[str], doc: dict, steps: tuple) -> None:
    for key, inner, keeps, write, empty in steps:
        value = doc.get(key)
        if inner is None:
            cells.append(value if keeps and value.__class__ is str else write(value))
        elif isinstance(value, dict):
            _fill(cells, value, inner)
        else:  # a missing or non-object step gives empty cells
            cells.extend(empty)


def cell_texts(cols: list[Column]) -> Callable[[dict], list[str]]:
    """A record's cells, one text per column, before `_escaped`. Made once per export: a
    million rows walk it (one pass over the record, not one per column)."""
    steps = _steps([(column.path, column) for column in cols])

    def texts(doc: dict) -> list[str]:
        cells: list[str] = []
        _fill(cells, doc, steps)
        return cells

    return texts


def _escaped(cells: list[str], escapable: list[bool]) -> list[str]:
    """Cells with a leading apostrophe before formula-like text (and before an apostrophe, so
    that import can take it off again)."""
    return [
        "'" + text if can and text.startswith(ESCAPED_STARTS) else text
        for text, can in zip(cells, escapable, strict=True)
    ]


def unescaped(text: str) -> str:
    """A cell's text without the apostrophe that `_escaped` puts before formula-like text."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1] in ESCAPED_STARTS else text


def read_cell(text: str, kind: str):
    """The inverse of `cell_texts`: a cell's text as a body value, None when empty.

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
    """The header, then each record's cells as a spreadsheet gets them."""
    cols = columns(resource)
    yield [c.name for c in cols]
    texts = cell_texts(cols)
    escapable = [c.kind in ESCAPED_KINDS for c in cols]
    for doc in docs:
        yield _escaped(texts(doc), escapable)


def _line(cells: list[str], line: str, delimiter: str, width: int) -> str:
    """A line of CSV from its cells and their `delimiter`-joined text: as it is, or, when a
    cell needs quotes (a name's comma, a JSON cell), each cell quoted in one join."""
    if '"' in line:
        cells = [text.replace('"', '""') for text in cells]
    elif line.count(delimiter) == width - 1 and "\r" not in line and "\n" not in line:
        return line
    return '"' + f'"{delimiter}"'.join(cells) + '"'


def csv_lines(resource: Resource, docs: Iterable[dict], delimiter: str) -> Iterator[str]:
    """The lines of a CSV export, without their ends: `rows` as CSV (RFC 4180).

    A line is its cells joined, checked in one pass: most need no apostrophe, and a line that
    needs quotes has every cell quoted (`_line`).
    """
    cols = columns(resource)
    width = len(cols)
    texts = cell_texts(cols)
    escapable = [c.kind in ESCAPED_KINDS for c in cols]
    # Any cell but the first that may need an apostrophe starts right after a delimiter.
    formula_like = re.compile(re.escape(delimiter) + "[" + re.escape("".join(ESCAPED_STARTS)) + "]")
    names = [c.name for c in cols]
    yield _line(names, delimiter.join(names), delimiter, width)
    for doc in docs:
        cells = texts(doc)
        line = delimiter.join(cells)
        if line.startswith(ESCAPED_STARTS) or formula_like.search(line):
            cells = _escaped(cells, escapable)
            line = delimiter.join(cells)
        yield _line(cells, line, delimiter, width)


def _csv(lines: Iterator[str]) -> Iterator[bytes]:
    yield "\ufeff".encode()
    while batch := list(itertools.islice(lines, 500)):
        batch.append("")  # the last line's end
        yield "\r\n".join(batch).encode()


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
        body = _csv(csv_lines(resource, docs, args["delimiter"]))
    else:
        body = _xlsx(rows(resource, docs), resource.name)
    response = Response(stream_with_context(body), content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{resource.name}.{fmt}"'
    if resource.private_headers:
        response.headers["Cache-Control"] = "no-store"
    return response
