"""The /api/v1 blueprint: every declared resource plus the integration endpoints."""

from flask import Blueprint, Flask

from registry.auth import requires
from registry.contacts.api import contacts
from registry.exchanges.api import exchanges
from registry.feed import register_feed
from registry.institutions.api import institutions
from registry.jsonio import json_response
from registry.keys import register_keys
from registry.openapi import document, errors_for, json_content, register_openapi
from registry.partnerships.api import partnerships
from registry.reagents.api import reagents
from registry.records.imports import register_imports
from registry.records.views import register_resource
from registry.reference import reference_document
from registry.stats import register_stats

RESOURCES = (institutions, partnerships, reagents, contacts, exchanges)


def register_api(app: Flask) -> None:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    for resource in RESOURCES:
        register_resource(api, resource)
    register_imports(api, RESOURCES)
    register_keys(api)
    register_feed(api)
    register_stats(api)

    document(
        "/api/v1/reference",
        {
            "get": {
                "tags": ["reference"],
                "summary": "Every code list (kinds, regions and districts, categories, …)",
                "responses": {
                    "200": {
                        "description": "Code lists",
                        "content": json_content({"type": "object"}),
                    },
                    **errors_for(401, 403, 429, 503),
                },
            }
        },
    )

    @api.get("/reference")
    @requires("read")
    def reference():
        """Every code list, with names in ru, en and zh."""
        return json_response(reference_document())

    register_openapi(app, api)
    app.register_blueprint(api)
