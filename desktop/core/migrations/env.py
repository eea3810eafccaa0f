"""Alembic environment: runs against the engine Doorstep hands in (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

import desktop.core.models as models

config = context.config
target_metadata = models.metadata


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Leave derived search indexes (FTS virtual tables and their shadows) out of comparisons."""
    return not (type_ == "table" and name is not None and name.startswith("search_"))


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
