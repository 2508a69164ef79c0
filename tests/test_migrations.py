"""One Alembic chain: it upgrades an empty database, and every earlier revision, to the head."""

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from registry import create_app
from registry.config import TestConfig
from registry.extensions import db, migrate
from tests.conftest import POSTGRES_URL, _private_postgres

KINDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=KINDS)
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chain.sqlite3'}"
        return
    url, drop = _private_postgres(POSTGRES_URL, "chain")
    yield url
    drop()


def test_every_revision_upgrades_to_head_and_back(empty_url):
    app = create_app(TestConfig(empty_url))
    with app.app_context():
        script = ScriptDirectory.from_config(migrate.get_config())
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        assert len(script.get_heads()) == 1, "one chain, one head"
        for revision in revisions:  # empty -> each revision in turn
            upgrade(revision=revision)
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        for revision in reversed(revisions[:-1]):  # back down, one step at a time
            downgrade(revision=revision)
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
