"""Drafts: a form being typed is kept in the local ``draft`` table every few seconds.

A crash or power cut therefore loses at most the last few seconds of typing; on the next start
the drafts are offered back. Drafts are local (never synced) and written through
``db.write_connection()``; the Qt side only decides when to save.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desktop.core.database import Database

SAVE_DELAY_MS = 2000  # save this long after the last keystroke


@dataclass(frozen=True)
class Draft:
    key: str
    kind: str
    household_id: str | None
    payload: dict[str, Any]
    saved_at: str


def save_draft(
    db: Database, key: str, kind: str, household_id: str | None, payload: dict[str, Any]
) -> None:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    saved = datetime.now().astimezone().isoformat(timespec="seconds")
    with db.write_connection() as conn:
        conn.exec_driver_sql(
            "INSERT INTO draft (key, kind, household_id, payload, saved_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, "
            "household_id = excluded.household_id, payload = excluded.payload, "
            "saved_at = excluded.saved_at",
            (key, kind, household_id, text, saved),
        )


def discard_draft(db: Database, key: str) -> None:
    with db.write_connection() as conn:
        conn.exec_driver_sql("DELETE FROM draft WHERE key = ?", (key,))


def load_drafts(db: Database) -> list[Draft]:
    """Every draft left behind, newest first; unreadable payloads are kept as raw text."""
    with db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT key, kind, household_id, payload, saved_at FROM draft ORDER BY saved_at DESC"
        ).all()
    drafts = []
    for key, kind, household_id, payload, saved_at in rows:
        try:
            data = json.loads(payload)
        except ValueError:
            data = {"raw": payload}
        drafts.append(Draft(key, kind, household_id, data, saved_at))
    return drafts
