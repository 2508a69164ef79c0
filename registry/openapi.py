"""The OpenAPI 3 document, generated from the marshmallow schemas and the declarations."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, render_template_string, url_for
from marshmallow import Schema, fields

from registry.auth import requires
from registry.jsonio import json_response
from registry.records.listing import args_schema
from registry.records.views import RESOURCES

ERRORS = {
    "400": "Malformed JSON or a body that is not an object",
    "401": "Missing, unknown or revoked key",
    "403": "The key's role may not do this",
    "404": "No such record",
    "409": "Conflict: duplicate, forbidden status change, still referenced, key reuse",
    "412": "If-Match is not the current ETag",
    "413": "Body over the limit",
    "415": "Body not sent as JSON",
    "422": "Validation failed; `errors` names each field",
    "429": "Rate limit; see Retry-After",
    "503": "Database unreachable",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTRA_PATHS: list[tuple[str, dict]] = []  # (path, operations) added by other modules


def document(path: str, operations: dict) -> None:
    """Add an endpoint outside the declared resources to the document (once per path)."""
    if all(known != path for known, _ in EXTRA_PATHS):
        EXTRA_PATHS.append((path, operations))


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw()))


class HistoryItemSchema(Schema):
    version = fields.Integer()
    action = fields.String()
    at = fields.String()
    actor = fields.String()
    record = fields.Dict(allow_none=True)


def errors_for(*codes: int, saying: dict[int, str] | None = None) -> dict:
    """The problem responses of an operation; `saying` words some differently (imports)."""
    return {
        str(c): {
            "description": (saying or {}).get(c, ERRORS[str(c)]),
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
        for c in codes
    }


def json_content(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _resource_paths(spec: APISpec, resource) -> None:
    title = resource.name.title()
    spec.components.schema(title, schema=resource.schema)
    record = {"$ref": f"#/components/schemas/{title}"}
    item_id = {
        "in": "path",
        "name": "record_id",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    etag = {"ETag": {"schema": {"type": "string"}}}
    list_args = args_schema(resource, extra=resource.list_extra)
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": record},
            "next_cursor": {"type": "string", "nullable": True},
        },
    }
    common = [401, 403, 429, 503]
    spec.path(
        path=f"/api/v1/{resource.name}",
        operations={
            "get": {
                "tags": [resource.name],
                "summary": f"List, search or export {resource.name}",
                "parameters": [{"in": "query", "schema": list_args}],
                "responses": {
                    "200": {
                        "description": "A page, or with `format=` an export of every match",
                        "content": {
                            **json_content(page),
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                            XLSX: {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    **errors_for(422, *common),
                },
            },
            "post": {
                "tags": [resource.name],
                "summary": f"Create one of the {resource.name}",
                "parameters": [
                    {
                        "in": "header",
                        "name": "Idempotency-Key",
                        "schema": {"type": "string", "maxLength": 255},
                    }
                ],
                "requestBody": {"required": True, "content": json_content(resource.schema)},
                "responses": {
                    "201": {
                        "description": "Created",
                        "headers": etag,
                        "content": json_content(record),
                    },
                    **errors_for(400, 409, 413, 415, 422, *common),
                },
            },
        },
    )
    if_match = {"in": "header", "name": "If-Match", "schema": {"type": "string"}}
    spec.path(
        path=f"/api/v1/{resource.name}/{{record_id}}",
        operations={
            "get": {
                "tags": [resource.name],
                "summary": "Read one record",
                "parameters": [
                    item_id,
                    {"in": "header", "name": "If-None-Match", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "The record",
                        "headers": etag,
                        "content": json_content(record),
                    },
                    "304": {"description": "Not modified"},
                    **errors_for(404, *common),
                },
            },
            "patch": {
                "tags": [resource.name],
                "summary": "Change a record (JSON Merge Patch, RFC 7396)",
                "parameters": [item_id, if_match],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/merge-patch+json": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": "The changed record",
                        "headers": etag,
                        "content": json_content(record),
                    },
                    **errors_for(400, 404, 409, 412, 413, 415, 422, *common),
                },
            },
            "delete": {
                "tags": [resource.name],
                "summary": "Delete a record",
                "parameters": [item_id, if_match],
                "responses": {
                    "204": {"description": "Deleted"},
                    **errors_for(404, 409, 412, *common),
                },
            },
        },
    )
    spec.path(
        path=f"/api/v1/{resource.name}/{{record_id}}/history",
        operations={
            "get": {
                "tags": [resource.name],
                "summary": "Every version of the record, oldest first",
                "parameters": [item_id],
                "responses": {
                    "200": {
                        "description": "History",
                        "content": json_content(
                            {
                                "type": "object",
                                "properties": {"items": {"type": "array", "items": "HistoryItem"}},
                            }
                        ),
                    },
                    **errors_for(404, *common),
                },
            }
        },
    )


@cache
def build_spec() -> dict:
    spec = APISpec(
        title="Minsk region – Chongqing medical cooperation registry",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Public API contract v1. Send `Authorization: Bearer <key>`."},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.schema("HistoryItem", schema=HistoryItemSchema)
    for resource in RESOURCES.values():
        _resource_paths(spec, resource)
    for path, operations in EXTRA_PATHS:
        spec.path(path=path, operations=operations)
    return spec.to_dict()


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Registry API</title>
<link rel="stylesheet" href="{{ css }}"></head>
<body><div id="swagger-ui"></div>
<script src="{{ bundle }}"></script>
<script src="{{ preset }}"></script>
<script>
window.ui = SwaggerUIBundle({url: "{{ spec }}", dom_id: "#swagger-ui", validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});
</script></body></html>"""


def register_openapi(app: Flask, blueprint: Blueprint) -> None:
    import flask_swagger_ui

    assets = Blueprint(
        "swagger_assets",
        __name__,
        static_folder=flask_swagger_ui.__path__[0] + "/dist",
        static_url_path="/api/v1/docs/assets",
    )
    app.register_blueprint(assets)

    document(
        "/api/v1/openapi.json",
        {
            "get": {
                "tags": ["meta"],
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {"description": "OpenAPI 3", "content": json_content({"type": "object"})}
                },
            }
        },
    )
    document(
        "/api/v1/docs",
        {
            "get": {
                "tags": ["meta"],
                "summary": "Interactive documentation (served locally)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "HTML",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    )

    @blueprint.get("/openapi.json")
    @requires("public")
    def openapi_json():
        """This document."""
        return json_response(build_spec())

    @blueprint.get("/docs")
    @requires("public")
    def docs():
        """Interactive documentation; every asset is served by this app."""
        asset = lambda name: url_for("swagger_assets.static", filename=name)  # noqa: E731
        return render_template_string(
            DOCS_PAGE,
            css=asset("swagger-ui.css"),
            bundle=asset("swagger-ui-bundle.js"),
            preset=asset("swagger-ui-standalone-preset.js"),
            spec=url_for("api.openapi_json"),
        )
