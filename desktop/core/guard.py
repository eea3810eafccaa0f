"""Triggers that make the one write path the only write path.

A synced table refuses INSERT and UPDATE unless ``uow_active()`` — a function only Doorstep's own
connections define, switched on only by a unit of work — says so, and refuses DELETE always
(nothing is hard-deleted). A raw ``sqlite3`` connection, a script or a careless module therefore
cannot change synced data without leaving a change-log entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def guard_trigger_sql(table: str) -> list[str]:
    message = f"{table} may only be written through the unit of work"
    return [
        f"CREATE TRIGGER IF NOT EXISTS guard_{table}_insert BEFORE INSERT ON {table} "
        f"WHEN NOT uow_active() BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_{table}_update BEFORE UPDATE ON {table} "
        f"WHEN NOT uow_active() BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER IF NOT EXISTS guard_{table}_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are never deleted; void them'); END",
    ]


def drop_guard_sql(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS guard_{table}_{op}" for op in ("insert", "update", "delete")]


def install_guards(op: Any, tables: Iterable[str]) -> None:
    """For a migration that creates synced tables: guard each of them (Alembic's ``op``)."""
    for table in tables:
        for statement in guard_trigger_sql(table):
            op.execute(statement)


def remove_guards(op: Any, tables: Iterable[str]) -> None:
    """The downgrade counterpart of :func:`install_guards`."""
    for table in tables:
        for statement in drop_guard_sql(table):
            op.execute(statement)
