"""SQLite search indexes gather 32 MB of new terms before they write them, not 1 MB

FTS5 keeps the terms of rows written in a transaction in memory and writes them out as a new
segment of the index each time they pass ``hashsize`` (1 MB by default); segments are then
merged again and again. An import fills the trigram index with hundreds of megabytes at once,
and at 1 MB its merging cost more than the terms themselves (76 µs a reagent row, 36 µs at
32 MB). A single write never gets near either size. PostgreSQL: nothing to do.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = ("institutions_trigrams", "institutions_hanzi", "reagents_trigrams", "reagents_hanzi")
DEFAULT_HASH_SIZE = 1024 * 1024


def _set_hash_size(size: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for index in INDEXES:
        op.execute(f"INSERT INTO {index}({index}, rank) VALUES ('hashsize', {size})")


def upgrade():
    _set_hash_size(32 * 1024 * 1024)


def downgrade():
    _set_hash_size(DEFAULT_HASH_SIZE)
