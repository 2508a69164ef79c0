"""Import bodies read as a stream of rows: CSV in the export's columns, or NDJSON."""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson

from registry.errors import ApiError
from registry.records.body import NUL_REFUSED, nfc_trimmed, normalise
from registry.records.declaration import Resource
from registry.records.export import INTEGER, Column, columns, read_cell, unescaped

READ_BUFFER = 256 * 1024


@dataclass
class Row:
    """One row of an import: its number, the POST body it carries, the id it names."""

    number: int  # from 1 after the CSV header; the line number in NDJSON
    body: dict | None  # None: the row could not be read at all
    record_id: str | None = None
    errors: list[dict] = field(default_factory=list)
    normalised: bool = False  # read-only fields left out, strings trimmed and NFC already


def _problem(column: str, message: str) -> dict:
    return {"field": column, "message": message}


def _header_error(column: str, message: str) -> ApiError:
    return ApiError(
        422,
        f"CSV header: {column}: {message}",
        errors=[{"row": 0, **_problem(column, message)}],
        title="Unprocessable header",
    )


def _put(body: dict, parents: list[str], leaf: str, value) -> None:
    for key in parents:
        body = body.setdefault(key, {})
    body[leaf] = value


def _text_writer(parents: list[str], leaf: str) -> Callable[[dict, str], str | None]:
    """`_cell_writer` for a text column, inlined: most cells of an import are text, and a
    re-import of 100,000 listings spent half its time in the general path."""
    parent = parents[0] if len(parents) == 1 else None

    def write(body: dict, text: str) -> str | None:
        if text[:1] == "'":
            text = unescaped(text)
        if "\x00" in text:
            return NUL_REFUSED
        text = nfc_trimmed(text)
        if not text:
            return None
        if not parents:
            body[leaf] = text
        elif parent is not None:
            inner = body.get(parent)
            if inner is None:
                inner = body[parent] = {}
            inner[leaf] = text
        else:
            _put(body, parents, leaf, text)
        return None

    return write


def _cell_writer(column: Column) -> Callable[[dict, str], str | None]:
    """Puts one (non-empty) cell into a body at the column's path; returns an error message
    or None."""
    *parents, leaf = column.path
    if column.kind == "scalar":
        return _text_writer(parents, leaf)

    def write(body: dict, text: str) -> str | None:
        if column.kind == "int" and INTEGER.fullmatch(digits := text.strip()):
            _put(body, parents, leaf, int(digits))  # as read_cell and normalise would
            return None
        try:
            value = normalise(read_cell(text, column.kind), column.name)
        except ValueError:
            return "Not valid JSON text."
        except ApiError as error:  # a NUL character
            return error.errors[0]["message"]
        if value not in (None, "", []):
            _put(body, parents, leaf, value)
        return None

    return write


def _layout(resource: Resource, header: list[str]) -> list[tuple[int, Column]]:
    """Which cell feeds which column; read-only columns are skipped, unknown ones refused."""
    known = {column.name: column for column in columns(resource)}
    ignored = resource.read_only - {"id"}
    seen: set[str] = set()
    layout = []
    for index, raw in enumerate(header):
        name = raw.strip()
        if not name or name in ignored:
            continue
        if name not in known:
            raise _header_error(name, "Not a column of this collection's export.")
        if name in seen:
            raise _header_error(name, "The column appears twice.")
        seen.add(name)
        layout.append((index, known[name]))
    return layout


def _delimiter(line: str) -> str:
    return ";" if line.count(";") > line.count(",") else ","


def csv_rows(resource: Resource, stream: io.RawIOBase, delimiter: str | None) -> Iterator[Row]:
    """Rows of a CSV body (UTF-8, BOM optional; `,` or `;` as the header line shows)."""
    text = io.TextIOWrapper(
        io.BufferedReader(stream, READ_BUFFER), encoding="utf-8-sig", newline=""
    )
    try:
        first = text.readline()
        if not first.strip():
            raise _header_error("", "The body has no header line.")
        delimiter = delimiter or _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        layout = _layout(resource, header)
        writers = [(i, col.name, _cell_writer(col)) for i, col in layout if col.name != "id"]
        id_index = next((i for i, column in layout if column.name == "id"), None)
        width = len(header)
        reader = csv.reader(text, delimiter=delimiter)
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Row(number, None, errors=[_problem("", f"Not valid CSV: {error}")])
                return
            if not any(cell.strip() for cell in cells):
                continue
            yield _csv_row(number, cells, writers, id_index, width)
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not UTF-8 text.") from None


def _csv_row(number: int, cells: list[str], writers, id_index, width: int) -> Row:
    row = Row(number, {}, normalised=True)
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        row.errors.append(_problem("", "More cells than the header has columns."))
    count = len(cells)
    for index, name, write in writers:
        if index < count and cells[index]:
            message = write(row.body, cells[index])
            if message:
                row.errors.append(_problem(name, message))
    if id_index is not None and id_index < count:
        row.record_id = cells[id_index].strip() or None
    return row


def ndjson_rows(stream: io.RawIOBase, line_limit: int) -> Iterator[Row]:
    """Rows of an NDJSON body: one POST body a line, blank lines skipped, a BOM allowed (as in
    a CSV body: editors on Windows write one)."""
    buffered = io.BufferedReader(stream, READ_BUFFER)
    number = 0
    while line := buffered.readline(line_limit + 1):
        number += 1
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if len(line) > line_limit and not line.endswith(b"\n"):
            while (rest := buffered.readline(READ_BUFFER)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the over-long line
            message = f"The line is over the limit of {line_limit} bytes."
            yield Row(number, None, errors=[_problem("", message)])
            continue
        if not line.strip():
            continue
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield Row(number, None, errors=[_problem("", f"Not valid JSON: {error}")])
            continue
        if not isinstance(body, dict):
            yield Row(number, None, errors=[_problem("", "Not a JSON object.")])
            continue
        record_id = body.pop("id", None)
        if record_id is not None and not isinstance(record_id, str):
            yield Row(number, None, errors=[_problem("id", "Not a record id (a UUID).")])
            continue
        yield Row(number, body, record_id=record_id or None)
