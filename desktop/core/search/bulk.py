"""Keeping the search index right during a large merge without paying for it row by row.

The core's search index is kept by triggers on ``member`` and ``household``: fine for a cadre's
edits, but a county applying a whole township's roster fires them tens of thousands of times. For
a large batch the merge drops those triggers inside its own transaction (SQLite DDL is
transactional: a failed merge rolls the drop back, and other connections never see the gap),
re-indexes the touched households in a few set-based statements from the search module's own
SQL, and re-creates the triggers before committing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import ModuleType

BULK_ROWS = 300  # below this, the triggers are cheaper than the bookkeeping


def _schema() -> ModuleType | None:
    try:
        from desktop.core.search import schema
    except ImportError:  # pragma: no cover - search not built in this checkout
        return None
    needed = ("TRIGGERS", "_forget", "_index_households", "_index_members")
    return schema if all(hasattr(schema, n) for n in needed) else None


def installed_triggers(cur: sqlite3.Cursor) -> list[str]:
    schema = _schema()
    if schema is None:
        return []
    present = {
        name for (name,) in cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    return [name for name in schema.TRIGGERS if name in present]


def suspend(cur: sqlite3.Cursor) -> list[str]:
    """Drop the search triggers for this transaction; returns what to restore."""
    names = installed_triggers(cur)
    for name in names:
        cur.execute(f'DROP TRIGGER "{name}"')
    return names


def resume(cur: sqlite3.Cursor, names: list[str], touched_ids: Iterable[str]) -> None:
    """Re-index the touched households (all their members too) and any touched member rows
    (ids of either kind: they are UUIDs), then restore the triggers."""
    schema = _schema()
    if schema is None or not names:
        return
    ids = sorted(set(touched_ids))
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS sync_touched (id TEXT PRIMARY KEY)")
    cur.execute("DELETE FROM sync_touched")
    cur.executemany("INSERT OR IGNORE INTO sync_touched (id) VALUES (?)", [(i,) for i in ids])
    touched = "(SELECT id FROM sync_touched)"
    statements = (
        schema._forget(f"household_id IN {touched} OR row_id IN {touched}")
        + schema._index_households(f"h.id IN {touched}")
        + schema._index_members(f"m.household_id IN {touched}")
    )
    for statement in statements:
        cur.execute(statement)
    cur.execute("DELETE FROM sync_touched")
    for name in names:
        cur.execute(schema.TRIGGERS[name])
