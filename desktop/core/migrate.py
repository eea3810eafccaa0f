"""Alembic migrations, run automatically when a database is opened.

A copy of the file is taken before any migration touches an existing database, so an upgrade that
fails (or a bug in a migration) can be undone by restoring the copy.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from desktop.core.db import backup_copy

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, path: Path, had_data: bool) -> Path | None:
    """Bring the database to the newest schema; returns the backup taken, if any.

    ``had_data``: the file existed with content before we opened it, so a copy is worth keeping.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    backup = backup_copy(path, f"before-{head}") if had_data else None
    command.upgrade(alembic_config(engine), "head")
    return backup
