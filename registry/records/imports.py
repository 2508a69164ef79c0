"""Bulk import (contract §4): rows matched by id or natural key, validated, all or nothing."""

import gc
from collections.abc import Iterable
from contextlib import contextmanager

from flask import Blueprint, current_app, g, request
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import event

from registry.auth import requires
from registry.errors import ApiError
from registry.extensions import db
from registry.jsonio import json_response
from registry.openapi import document, errors_for, json_content
from registry.records.body import require_content_type
from registry.records.bulk import Change, ChunkWriter, batches, write_events
from registry.records.csv_rows import Row, csv_rows, ndjson_rows
from registry.records.declaration import Resource
from registry.records.idempotency import idempotent, request_stream
from registry.records.import_plan import ACTIONS, ImportPlan
from registry.records.listing import parse_args
from registry.records.pg_bulk import gin_merged_alongside
from registry.records.sqlite_bulk import indexed_in_bulk, last_rowid, roomy_page_cache
from registry.records.views import transaction

IMPORT_TYPES = ("text/csv", "application/x-ndjson")
CHUNK = 1000  # rows planned, then written, at a time
HELD_MAX = 20_000  # objects the rules loaded, kept across chunks (suppliers repeat)
YOUNG_OBJECTS = 50_000  # new objects between two collections of the youngest generation


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Validate only"})
    delimiter = fields.String(
        validate=validate.OneOf([",", ";"]),
        metadata={"description": "CSV delimiter; by default read from the header line"},
    )


import_args = ImportArgs(unknown=RAISE)


@contextmanager
def objects_held():
    """Keep what rules load (a reagent's supplier) in the identity map while an import runs.

    session.get() finds an object without a query only while something references it.
    """
    held: list = []
    session = db.session()

    def hold(_session, instance) -> None:
        held.append(instance)

    event.listen(session, "loaded_as_persistent", hold)
    try:
        yield held
    finally:
        event.remove(session, "loaded_as_persistent", hold)


@contextmanager
def old_objects_left_alone():
    """Let the garbage collector walk only objects made during the import, and less often.

    An import of 100,000 rows makes a dozen full collections, and each would otherwise walk
    everything the worker keeps for good too (the app, pypinyin's dictionaries). A chunk's
    rows and records live until the chunk is planned: collected every 700 new objects, as by
    default, they are walked again and again while alive.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        if frozen_before:  # wsgi.py froze the worker's start-up objects: keep them frozen
            gc.collect()
            gc.freeze()


def _plan_and_write(importer: ImportPlan, rows: Iterable[Row], *, dry_run: bool) -> None:
    """Plan every chunk, and write it while no row has failed (not at all for a dry run).

    A chunk's new records are written while the next chunk is decided and the one after is
    read: the database and this thread work at once. Its updates go in before the next
    chunk's lookups, which then see everything written but those new records (ImportPlan.match).
    """
    resource = importer.resource
    decided: list[Change] = []

    def to_write() -> list[Change]:
        return [] if importer.errors or dry_run else decided

    with (
        objects_held() as held,
        indexed_in_bulk(resource.model.__tablename__) as catch_up,
        gin_merged_alongside(resource.model.__tablename__),
        ChunkWriter(resource, catch_up) as writer,
    ):
        for chunk in batches(rows, CHUNK):
            items = importer.readable(chunk)
            importer.validate_ahead(items, meanwhile=writer.busy)
            writing = to_write()
            writer.update(writing)
            matched = importer.match(items)
            writer.insert(writing)
            decided = importer.decide(matched)
            if len(held) > HELD_MAX:
                held.clear()
        writing = to_write()
        writer.update(writing)
        writer.insert(writing)


def run_import(resource: Resource, rows: Iterable[Row], *, actor: str, dry_run: bool) -> dict:
    """Plan and write every row, chunk by chunk, in the request's one transaction."""
    importer = ImportPlan(resource)
    created_after = last_rowid(resource.model.__tablename__)
    with old_objects_left_alone(), roomy_page_cache():
        g.natural_keys_checked = True
        try:
            _plan_and_write(importer, rows, dry_run=dry_run)
        finally:
            g.natural_keys_checked = False
        if importer.failed_rows:
            raise importer.problem()
        if not dry_run:
            write_events(
                resource, importer.changed, actor, importer.now, created_after=created_after
            )
    return importer.counts


def _rows(resource: Resource, args: dict) -> Iterable[Row]:
    require_content_type(IMPORT_TYPES)
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, f"Send the body as UTF-8; got {charset}.")
    limit = current_app.config["MAX_IMPORT_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"The body is over the import limit of {limit} bytes.")
    if request.mimetype == "text/csv":
        return csv_rows(resource, request_stream(), args.get("delimiter"))
    return ndjson_rows(request_stream(), current_app.config["MAX_BODY_BYTES"])


def import_view(resource: Resource):
    def import_records():
        """Create or update many records from CSV or NDJSON rows, all or nothing."""
        args = parse_args(import_args, request.args)
        counts = run_import(resource, _rows(resource, args), actor=g.actor, dry_run=args["dry_run"])
        return json_response(counts)

    import_records.__name__ = f"imports_{resource.name}"
    return requires(resource.write)(transaction(idempotent(import_records, streamed=True)))


def _operations(resource: Resource) -> dict:
    text = {"schema": {"type": "string"}}
    counted = {"type": "object", "properties": {k: {"type": "integer"} for k in ACTIONS}}
    return {
        "post": {
            "tags": [resource.name],
            "summary": f"Import {resource.name}: CSV with the export's columns, or NDJSON",
            "description": "Rows match by `id`, else by natural key, else are created. All or "
            "nothing: any invalid row gives a 422 listing every row's errors.",
            "parameters": [
                {"in": "query", "schema": import_args},
                {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}},
            ],
            "requestBody": {
                "required": True,
                "content": {"text/csv": text, "application/x-ndjson": text},
            },
            "responses": {
                "200": {"description": "Counts", "content": json_content(counted)},
                **errors_for(
                    400,
                    401,
                    403,
                    409,
                    413,
                    415,
                    422,
                    429,
                    503,
                    saying={
                        400: "The body is not UTF-8 text",
                        415: "Body not sent as text/csv or application/x-ndjson",
                    },
                ),
            },
        }
    }


def register_imports(blueprint: Blueprint, resources: Iterable[Resource]) -> None:
    """POST /imports/<name> for every resource that declares a natural key."""
    for resource in resources:
        if resource.natural_key is None:
            continue
        blueprint.add_url_rule(
            f"/imports/{resource.name}",
            endpoint=f"imports_{resource.name}",
            view_func=import_view(resource),
            methods=["POST"],
        )
        document(f"/api/v1/imports/{resource.name}", _operations(resource))
