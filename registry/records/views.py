"""The HTTP face of the lifecycle: one set of views serves every declared resource."""

import functools

import orjson
from flask import Blueprint, Response, g, request, url_for
from sqlalchemy import select

from registry.auth import requires
from registry.errors import ApiError
from registry.extensions import db
from registry.jsonio import json_response
from registry.records import export
from registry.records.body import PATCH_TYPES, json_body, merge_patch
from registry.records.conditional import check_if_match, etag_of, not_modified
from registry.records.declaration import Resource
from registry.records.idempotency import idempotent
from registry.records.lifecycle import body_of, delete_record, known_body, save_record
from registry.records.listing import args_schema, next_page_link, page, parse_args
from registry.records.model import RecordEvent

RESOURCES: dict[str, Resource] = {}


def _found(resource: Resource, record_id: str):
    record = db.session.get(resource.model, str(record_id))
    if record is None:
        raise ApiError(404, f"No {resource.name} record with id {record_id}.")
    return record


def _record_response(resource: Resource, record, status: int = 200) -> Response:
    response = json_response(resource.view(record.doc, g.role), status)
    response.headers["ETag"] = etag_of(resource, record.version)
    if resource.private_headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def transaction(view):
    """A write view's changes commit together after it returns, or not at all."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        db.session.commit()
        return response

    return wrapper


def make_views(resource: Resource) -> dict:
    """The six views of one resource, closed over its declaration."""
    list_args = args_schema(resource, extra=resource.list_extra)

    def list_records():
        """List, filter, search, page or export records."""
        args = parse_args(list_args, request.args)
        if args["format"] != "json":
            return export.stream(resource, args, g.role)
        texts, cursor = page(resource, args, args["limit"])
        if resource.lists_stored_json:
            items = list(map(orjson.Fragment, texts))  # passed on as stored, unparsed
        else:
            items = [resource.view(orjson.loads(text), g.role) for text in texts]
        body = {"items": items, "next_cursor": cursor}
        if resource.list_extras:
            body |= resource.list_extras(args)
        response = json_response(body)
        if cursor:
            response.headers["Link"] = next_page_link(cursor)
        if resource.private_headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @transaction
    @idempotent
    def create_record():
        """Create a record."""
        record, _ = save_record(resource, payload=json_body(), actor=g.actor)
        response = _record_response(resource, record, 201)
        response.headers["Location"] = url_for(f"api.{resource.name}_get", record_id=record.id)
        return response

    def get_record(record_id):
        """Read one record."""
        record = _found(resource, record_id)
        return not_modified(etag_of(resource, record.version)) or _record_response(resource, record)

    @transaction
    def patch_record(record_id):
        """Change a record with a JSON Merge Patch (RFC 7396)."""
        patch = json_body(PATCH_TYPES)
        record = _found(resource, record_id)
        check_if_match(record.version)
        patch = known_body(resource, patch)
        payload = merge_patch(body_of(resource, record.doc), patch)
        record, _ = save_record(resource, payload=payload, actor=g.actor, record=record)
        return _record_response(resource, record)

    @transaction
    def delete_record_view(record_id):
        """Delete a record (409 while others refer to it)."""
        record = _found(resource, record_id)
        check_if_match(record.version)
        delete_record(resource, record=record, actor=g.actor)
        return Response(status=204)

    def history(record_id):
        """Every version of a record, oldest first."""
        events = db.session.scalars(
            select(RecordEvent)
            .where(RecordEvent.resource == resource.name, RecordEvent.record_id == str(record_id))
            .order_by(RecordEvent.version)
        ).all()
        if not events:
            raise ApiError(404, f"No {resource.name} record with id {record_id}.")
        items = [event.history_item() for event in events]
        current = items[-1]["record"]  # None after a delete
        for item in items:
            if item["record"] is not None:
                item["record"] = resource.view_version(item["record"], current, g.role)
        response = json_response({"items": items})
        if resource.private_headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    return {
        "list": (list_records, "read"),
        "create": (create_record, resource.write),
        "get": (get_record, "read"),
        "patch": (patch_record, resource.write),
        "delete": (delete_record_view, resource.write),
        "history": (history, "read"),
    }


ROUTES = {
    "list": ("", ["GET"]),
    "create": ("", ["POST"]),
    "get": ("/<uuid:record_id>", ["GET"]),
    "patch": ("/<uuid:record_id>", ["PATCH"]),
    "delete": ("/<uuid:record_id>", ["DELETE"]),
    "history": ("/<uuid:record_id>/history", ["GET"]),
}


def register_resource(blueprint: Blueprint, resource: Resource) -> None:
    """Plug a declared resource into the API blueprint."""
    RESOURCES[resource.name] = resource
    for action, (view, capability) in make_views(resource).items():
        suffix, methods = ROUTES[action]
        view.__name__ = f"{resource.name}_{action}"
        blueprint.add_url_rule(
            f"/{resource.name}{suffix}",
            endpoint=f"{resource.name}_{action}",
            view_func=requires(capability)(view),
            methods=methods,
        )


def resource_named(name: str) -> Resource:
    if name not in RESOURCES:
        raise ApiError(404, f"No collection named {name}.")
    return RESOURCES[name]
