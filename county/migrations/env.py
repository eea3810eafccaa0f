"""Alembic environment for the county store: runs on the connection the store hands in."""

from __future__ import annotations

from alembic import context

from county.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
