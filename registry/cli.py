"""Command line: `flask keys create|list|revoke` and `flask demo load`."""

from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from registry.auth import ROLES, ApiKey, issue_key
from registry.extensions import db
from registry.records.model import rfc3339, utcnow

keys_cli = AppGroup("keys", help="Manage API keys.")
demo_cli = AppGroup("demo", help="Demo data.")
NAME_MAX = 300  # as POST /keys allows


@contextmanager
def _database():
    """A missing table or an unreachable database as one line of advice, not a traceback."""
    try:
        yield
    except (OperationalError, ProgrammingError) as error:
        raise click.ClickException(
            "The database is unreachable or not migrated; run "
            f"`flask --app registry db upgrade` first ({error.orig})."
        ) from None


@keys_cli.command("create")
@click.option("--name", required=True, help="Who holds the key (shown as actor in history).")
@click.option("--role", required=True, type=click.Choice(ROLES))
def create_key(name: str, role: str) -> None:
    """Make a key; its secret is printed alone on the last line."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise click.BadParameter(f"give 1 to {NAME_MAX} characters", param_hint="--name")
    with _database():
        key, secret = issue_key(name=name, role=role)
        db.session.commit()
    click.echo(f"Created key {key.id} ({key.role}) for {key.name}. The secret, shown once:")
    click.echo(secret)


@keys_cli.command("list")
def list_keys() -> None:
    """Every key, without secrets."""
    with _database():
        found = db.session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)).all()
    for key in found:
        state = f"revoked {rfc3339(key.revoked_at)}" if key.revoked_at else "active"
        used = rfc3339(key.last_used_at) or "never"
        click.echo(f"{key.id}  {key.role:<12} {state:<8} last used {used}  {key.name}")


@keys_cli.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoke a key by id (as `keys list` shows it, any case)."""
    with _database():
        key = db.session.get(ApiKey, key_id.strip().lower())
        if key is None:
            raise click.ClickException(f"No key with id {key_id}.")
        if key.revoked_at is not None:
            raise click.ClickException(
                f"Key {key.id} was revoked already, at {rfc3339(key.revoked_at)}."
            )
        key.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"Revoked {key.id} ({key.name}).")


@keys_cli.command("has-admin", hidden=True)
def has_admin() -> None:
    """Exit 0 when an active admin key exists (used by `make run`)."""
    found = db.session.scalar(
        select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)).limit(1)
    )
    raise SystemExit(0 if found else 1)


@demo_cli.command("load")
def load_demo() -> None:
    """Record the 2023 road map meetings and generated listings; a second run adds nothing."""
    from registry import demo  # needs every resource declared, so only once the app is built

    created = demo.load()
    summary = ", ".join(f"{count} {name}" for name, count in created.items())
    click.echo(f"Demo data loaded; created {summary}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_cli)
