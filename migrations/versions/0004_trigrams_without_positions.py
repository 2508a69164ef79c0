"""SQLite trigram indexes keep which rows hold a trigram, not where in them (detail=none)

Search asks the trigram index one trigram at a time, quoted ("еат"), or several at once with
AND, and lets LIKE decide; it never asks for a phrase, the one query that needs positions. By
default FTS5 stores every trigram's positions as well: at a million listings that made the
index four times larger than it needs to be, and an import spent 40% more filling it (200,000
search texts: 25 s with positions, 14.5 s without). The index is rebuilt from search_text
here; the triggers of 0002 keep writing to it by name. PostgreSQL: nothing to do.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("institutions", "reagents")
HASH_SIZE = 32 * 1024 * 1024  # as 0003 set it


def _recreate(detail: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        index = f"{table}_trigrams"
        op.execute(f"DROP TABLE {index}")
        op.execute(
            f"CREATE VIRTUAL TABLE {index} USING fts5(search_text, content='{table}', "
            f"content_rowid='rowid', tokenize='trigram case_sensitive 1', detail='{detail}')"
        )
        op.execute(f"INSERT INTO {index}({index}, rank) VALUES ('hashsize', {HASH_SIZE})")
        op.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")


def upgrade():
    _recreate("none")


def downgrade():
    _recreate("full")
