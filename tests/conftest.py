"""App and client fixtures: every test gets a fresh database, on SQLite and on PostgreSQL."""

import os
import shutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import make_url, text

from registry import create_app
from registry.config import TestConfig
from registry.database import drop_postgres_database, recreate_postgres_database
from registry.extensions import db
from registry.records import listing

POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
ROLES = ("admin", "clerk", "integration", "procurement")


def _private_postgres(url: str, purpose: str = "run") -> tuple[str, callable]:
    """A database of this test run's own, so that runs side by side never meet."""
    base = make_url(url)
    name = f"{base.database}_{purpose}{os.getpid()}"
    url = base.set(database=name).render_as_string(hide_password=False)
    recreate_postgres_database(url)
    return url, lambda: drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """Each database migrated once from empty; tests then start from a copy or a truncation."""
    made, cleanups = {}, []

    def get(kind: str) -> str:
        if kind not in made:
            if kind == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
            else:
                url, drop = _private_postgres(POSTGRES_URL)
                cleanups.append(drop)
            app = create_app(TestConfig(url))
            with app.app_context():
                upgrade()
                db.engine.dispose()
            made[kind] = url
        return made[kind]

    yield get
    for cleanup in cleanups:
        cleanup()


def _truncate_postgres(app) -> None:
    with app.app_context():
        tables = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "alembic_version")
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def database_url(request, migrated, tmp_path):
    template = migrated(request.param)
    if request.param == "sqlite":
        path = tmp_path / "registry.sqlite3"
        shutil.copy(template.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    return template


@pytest.fixture
def app(database_url):
    app = create_app(TestConfig(database_url))
    if database_url.startswith("postgresql"):
        _truncate_postgres(app)
    # Page statements are kept per process and database; a test starts without them, so that
    # a search runs the plan its test sets up (tests/test_search.py's plans).
    listing.forget_statements()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def keys(app):
    """A bearer header per role: keys["clerk"] -> {"Authorization": "Bearer …"}."""
    from registry.auth import issue_key

    headers = {}
    with app.app_context():
        for role in ROLES:
            _, secret = issue_key(name=f"{role}-tester", role=role)
            headers[role] = {"Authorization": f"Bearer {secret}"}
        db.session.commit()
    return headers
