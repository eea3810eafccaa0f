"""Keeping the search index right during a large write without paying for it row by row.

The search index is kept by triggers on ``member`` and ``household``: fine for a cadre's edits,
but a roster import, the demo generator or a county applying a township's bundle fires them tens
of thousands of times. For a large batch the writer drops those triggers inside its own transaction (SQLite DDL is
transactional: a failed merge rolls the drop back, and other connections never see the gap),
re-indexes the touched households in a few set-based statements from the search module's own
SQL, and re-creates the triggers before committing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import ModuleType

BULK_ROWS = 300  # below this, the triggers are cheaper than the bookkeeping


def _schema() -> ModuleType:
    from desktop.core.search import schema

    return schema


def installed_triggers(cur: sqlite3.Cursor) -> list[str]:
    schema = _schema()
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
    if not names:
        return
    ids = sorted(set(touched_ids))
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS search_touched (id TEXT PRIMARY KEY)")
    cur.execute("DELETE FROM search_touched")
    cur.executemany("INSERT OR IGNORE INTO search_touched (id) VALUES (?)", [(i,) for i in ids])
    touched = "(SELECT id FROM search_touched)"
    statements = (
        schema._forget(f"household_id IN {touched} OR row_id IN {touched}")
        + schema._index_households(f"h.id IN {touched}")
        + schema._index_members(f"m.household_id IN {touched}")
    )
    for statement in statements:
        cur.execute(statement)
    cur.execute("DELETE FROM search_touched")
    for name in names:
        cur.execute(schema.TRIGGERS[name])
