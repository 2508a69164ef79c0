"""The OpenAPI document, the docs page, health, readiness, metrics and the key CLI."""

import re

from openapi_spec_validator import validate

from registry import create_app
from registry.config import TestConfig
from registry.records.views import RESOURCES


def test_openapi_is_valid_and_lists_every_operation(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):  # the docs page's assets
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, (method, path)
    for name in RESOURCES:
        assert name.title() in spec["components"]["schemas"]


def test_docs_are_served_locally(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    # Swagger UI would send the spec's address to validator.swagger.io for its badge.
    assert "validatorUrl: null" in html
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.get_data()) > 1000


def test_health_ready_metrics(client, keys):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}
    client.get("/api/v1/institutions", headers=keys["clerk"])
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].count("charset") == 1
    text = metrics.get_data(as_text=True)
    assert 'registry_requests_total{endpoint="api.institutions_list",status="200"}' in text
    assert "registry_request_seconds_bucket" in text


def test_readyz_is_503_before_migrations(tmp_path):
    from registry import create_app
    from registry.config import TestConfig

    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "database not migrated"


def test_keys_cli_prints_the_secret_last(app):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["keys", "create", "--name", "ops", "--role", "admin"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    client = app.test_client()
    assert (
        client.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    listed = runner.invoke(args=["keys", "list"])
    key_id = listed.output.split()[0]
    assert secret not in listed.output and "admin" in listed.output
    assert runner.invoke(args=["keys", "revoke", key_id.upper()]).exit_code == 0
    again = runner.invoke(args=["keys", "revoke", key_id])
    assert again.exit_code != 0 and "revoked already" in again.output
    assert (
        client.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    bad = runner.invoke(args=["keys", "create", "--name", "x", "--role", "root"])
    assert bad.exit_code != 0
    blank = runner.invoke(args=["keys", "create", "--name", "   ", "--role", "clerk"])
    assert blank.exit_code != 0 and "--name" in blank.output


def test_keys_cli_before_the_first_migration_says_what_to_do(tmp_path):
    app = create_app(TestConfig(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    made = app.test_cli_runner().invoke(args=["keys", "create", "--name", "a", "--role", "admin"])
    assert made.exit_code != 0 and "db upgrade" in made.output
    assert made.exception is None or isinstance(made.exception, SystemExit)
