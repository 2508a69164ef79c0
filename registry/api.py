"""The /api/v1 blueprint: every declared resource plus the integration endpoints."""

from flask import Blueprint, Flask

from registry.auth import requires
from registry.feed import register_feed
from registry.institutions.api import institutions
from registry.jsonio import json_response
from registry.keys import register_keys
from registry.openapi import register_openapi
from registry.records.views import register_resource
from registry.reference import reference_document

RESOURCES = (institutions,)


def register_api(app: Flask) -> None:
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    for resource in RESOURCES:
        register_resource(api, resource)
    register_keys(api)
    register_feed(api)

    @api.get("/reference")
    @requires("read")
    def reference():
        """Every code list, with names in ru, en and zh."""
        return json_response(reference_document())

    register_openapi(app, api)
    app.register_blueprint(api)
