"""Alembic migrations, run automatically when a database is opened.

A copy of the file is taken before any migration touches an existing database, so an upgrade that
fails (or a bug in a migration) can be undone by restoring the copy. Alembic itself is imported
only when a migration is due: opening an up-to-date database is a single query, which keeps the
app's start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from desktop.core.db import backup_copy

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; a test checks it against Alembic's own view.
HEAD_REVISION = "0004"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """Alembic's own idea of the newest revision (slower than HEAD_REVISION: reads the scripts)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).first()
        if exists is None:
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def upgrade(engine: Engine, path: Path, had_data: bool, key: bytes | None = None) -> Path | None:
    """Bring the database to the newest schema; returns the backup taken, if any.

    ``had_data``: the file existed with content before we opened it, so a copy is worth keeping.
    ``key``: an encrypted database's data key; the copy is encrypted with it too.
    """
    if current_revision(engine) == HEAD_REVISION:
        return None
    from alembic import command

    backup = backup_copy(path, f"before-{HEAD_REVISION}", key) if had_data else None
    command.upgrade(alembic_config(engine), "head")
    return backup
