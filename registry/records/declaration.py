"""What a resource declares to plug into the shared lifecycle."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import g
from marshmallow import Schema, fields
from sqlalchemy import ColumnElement, Select


@dataclass(frozen=True)
class Filter:
    """A query-string filter: how its value is read and how it narrows the query.

    `bound`: apply() makes the same SQL whatever the value, which it only compares (given a
    bind parameter in its place, lists build their statement once for all values). False
    when the value shapes the SQL or is changed first (a status's range, a folded name).
    """

    field: fields.Field
    apply: Callable[[Select, Any], Select]
    description: str = ""
    bound: bool = True


@dataclass(frozen=True)
class Reference:
    """A column elsewhere that names a record of this resource; while it does, no delete."""

    column: Any  # an ORM attribute, e.g. Partnership.minsk_institution_id
    label: str  # "partnerships", shown in the 409


@dataclass(frozen=True)
class Children:
    """Rows kept in step with a list inside the record (identifiers, areas, links)."""

    model: type
    parent_column: str
    rows: Callable[[dict], Iterable[dict]]


@dataclass(frozen=True)
class NaturalKey:
    """How an import finds the record that a row without an id stands for, many rows a query.

    `keys(body)` gives the body's keys (tuples of strings; any one of them identifies the
    record); `columns` are the table columns those tuples match, `owner` the column on the
    same table holding the record's id, and `field` the body field that errors name.
    """

    keys: Callable[[dict], Iterable[tuple]]
    columns: tuple[Any, ...]
    owner: Any
    field: str


def natural_keys_checked() -> bool:
    """True while an import runs the rules: it has checked every row's natural keys against
    the other rows and the database in bulk, so a rule may skip its own query for a duplicate
    key (one query a row is what makes an import slow)."""
    return bool(g.get("natural_keys_checked"))


@dataclass
class Resource:
    """One collection of the registry, declared; the lifecycle does the rest."""

    name: str  # collection name in paths and in the change feed
    model: type
    schema: Schema  # the POST body; PATCH merges into the stored record and reloads it
    write: str  # capability needed to change records (see registry.auth)
    columns: Callable[[dict], dict]  # record body -> model column values
    names: Callable[[dict], Iterable[str | None]]  # what `sort=name` uses, first present wins
    searchable: Callable[[dict], Iterable[str | None]]
    filters: dict[str, Filter] = field(default_factory=dict)
    sorts: dict[str, Callable[[dict], list[ColumnElement]]] = field(default_factory=dict)
    children: list[Children] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # Domain rules: (body, current record or None) -> raise ApiError when not allowed.
    rules: Callable[[dict, Any], None] | None = None
    # Imports: load at once the records that the rules of many bodies will read.
    preload: Callable[[list[dict]], None] | None = None
    # Reads: (doc, role) -> doc as that role sees it (computed fields, redaction).
    present: Callable[[dict, str], dict] | None = None
    # History: (past version, current record or None after a delete, role) -> the version as
    # that role sees it, where today's record decides too (a consent withdrawn since).
    present_version: Callable[[dict, dict | None, str], dict] | None = None
    # The computed fields of `present` as SQL (name -> expression): lists add them to the
    # stored JSON text without parsing it. Unset while `present` does more (redaction): lists
    # then parse every record to run it.
    computed_sql: Callable[[], dict[str, ColumnElement]] | None = None
    # What makes today's copy of a record differ from yesterday's (reagents: the date their
    # registration status is computed for); it keys cached list statements too.
    etag_suffix: Callable[[], str] | None = None
    # A faster `q` than LIKE over search_text (full-text indexes), same answers.
    search: Callable[[Select, list[str]], Select] | None = None
    # More list parameters (e.g. facets) and what they add to a list's body.
    list_extra: dict[str, fields.Field] = field(default_factory=dict)
    list_extras: Callable[[dict], dict] | None = None
    computed: tuple[str, ...] = ()  # read-only fields of the body that clients may echo back
    on_delete: Callable[[Any, str], None] | None = None  # extra erasure work (contacts)
    private_headers: bool = False  # responses carry personal data: Cache-Control no-store
    # Resources with a natural key take bulk imports (POST /imports/<name>).
    natural_key: NaturalKey | None = None
    description: str = ""

    @cached_property  # read for every key of every body written
    def read_only(self) -> frozenset[str]:
        return frozenset(("id", "version", "created_at", "updated_at", *self.computed))

    def view(self, doc: dict, role: str) -> dict:
        return self.present(doc, role) if self.present else doc

    def view_version(self, doc: dict, current: dict | None, role: str) -> dict:
        if self.present_version:
            return self.present_version(doc, current, role)
        return self.view(doc, role)

    @property
    def lists_stored_json(self) -> bool:
        """Lists can pass on the stored JSON text: reads change nothing SQL cannot compute."""
        return self.present is None or self.computed_sql is not None
