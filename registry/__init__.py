"""The Minsk region – Chongqing medical cooperation registry."""

import logging
import os

from flask import Flask

from registry import auth, database, limits
from registry.api import register_api
from registry.cli import register_cli
from registry.config import Config
from registry.errors import register_error_handlers
from registry.extensions import db, migrate
from registry.jsonio import OrjsonProvider
from registry.ops import register_ops


def create_app(config: Config | None = None) -> Flask:
    """Build the app: configuration, extensions, the API, errors, operations, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    app.config.from_object(config or Config())
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{os.path.join(app.instance_path, 'registry.sqlite3')}"
        )
    # Import bodies have their own, larger limit; other bodies are checked per view.
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_IMPORT_BYTES"]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    database.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    auth.init_app(app)
    limits.init_app(app)
    register_ops(app)
    register_api(app)
    register_error_handlers(app)
    register_cli(app)
    return app
