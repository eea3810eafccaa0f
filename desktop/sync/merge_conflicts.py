"""Concurrent writes to one field, found and recorded the same way on every replica.

Two updates of one field are concurrent when each was written without having seen the other:
``x.hlc > y.base_hlc`` and ``y.hlc > x.base_hlc``. Every such pair with different values becomes
one ``conflict`` row whose id hashes the two change ids, so each replica records the same set;
the newer write is the winner (it is what last-writer-wins applied). A conflict is resolved by
the earliest ``resolve`` change made after seeing both sides. All of it is derived from the
change log alone, so it converges like the data does.

A merge flags the fields an incoming write may have raced on and records them together
(:func:`record_conflicts_many`: one join over the change log for all of them); a laptop's own
stale edits are found by :func:`scan_local_conflicts_in`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from desktop.core.services.uow import UnitOfWork

SCANNED_KEY = "sync:conflict_scan_seq"
SUMMARY_FIELDS = frozenset({"size", "head_name", "head_member_id"})
ID_FUNCTION = "doorstep_conflict_id"
CONFLICT_COLUMNS = (
    "id, tbl, row_id, household_id, field, winner_change_id, winner_value, winner_hlc, "
    "winner_device, winner_cadre, loser_change_id, loser_value, loser_hlc, loser_device, "
    "loser_cadre, detected_at"
)


def conflict_id(change_a: str, change_b: str) -> str:
    """The same id on every replica, whichever of the two changes it saw first."""
    first, second = sorted((change_a, change_b))
    return hashlib.sha256(f"{first}\n{second}".encode()).hexdigest()


def ensure_indexes(cur: sqlite3.Cursor) -> None:
    """Conflict checks and pending replays look entries up by field; they need this index."""
    cur.execute(
        "CREATE INDEX IF NOT EXISTS ix_change_log_row_field ON change_log (tbl, row_id, field)"
    )


def derived_field(table: str, name: str) -> bool:
    """Household head and size are computed from the members on every replica; two laptops
    writing different sizes is not something a person should have to decide."""
    return table == "household" and name in SUMMARY_FIELDS


def record_conflicts(cur: sqlite3.Cursor, table: str, row_id: str, name: str) -> list[str]:
    """Record every concurrent pair of differing writes to one field; returns new conflict ids."""
    if derived_field(table, name):
        return []
    rows = cur.execute(
        "SELECT change_id, device_id, value, hlc, base_hlc, cadre FROM change_log "
        "WHERE tbl = ? AND row_id = ? AND field = ? ORDER BY hlc",
        (table, row_id, name),
    ).fetchall()
    found: list[str] = []
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    for i, older in enumerate(rows):
        for newer in rows[i + 1 :]:
            concurrent = newer[3] > (older[4] or "") and older[3] > (newer[4] or "")
            if not concurrent or older[2] == newer[2]:
                continue
            ident = conflict_id(older[0], newer[0])
            household = _household_of_row(cur, table, row_id)
            cur.execute(
                "INSERT OR IGNORE INTO conflict (id, tbl, row_id, household_id, field, "
                "winner_change_id, winner_value, winner_hlc, winner_device, winner_cadre, "
                "loser_change_id, loser_value, loser_hlc, loser_device, loser_cadre, detected_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ident,
                    table,
                    row_id,
                    household,
                    name,
                    newer[0],
                    newer[2],
                    newer[3],
                    newer[1],
                    newer[5],
                    older[0],
                    older[2],
                    older[3],
                    older[1],
                    older[5],
                    now,
                ),
            )
            if cur.rowcount:
                found.append(ident)
    settle_resolutions(cur, table, row_id, name)
    return found


def record_conflicts_many(cur: sqlite3.Cursor, fields: Iterable[tuple[str, str, str]]) -> list[str]:
    """:func:`record_conflicts` for many (table, row id, field) at once: one self-join of the
    change log finds every concurrent pair of differing writes to them, each recorded under the
    same id and with the same winner (the newer write) as one field at a time would; then the
    resolutions of the fields that have conflicts are settled. Returns the new conflict ids."""
    keys = sorted({key for key in fields if not derived_field(key[0], key[2])})
    if not keys:
        return []
    cur.connection.create_function(ID_FUNCTION, 2, conflict_id, deterministic=True)
    cur.execute(
        "CREATE TEMP TABLE IF NOT EXISTS merge_fields (tbl TEXT, row_id TEXT, field TEXT, "
        "PRIMARY KEY (tbl, row_id, field)) WITHOUT ROWID"
    )
    cur.execute("DELETE FROM temp.merge_fields")
    cur.executemany("INSERT INTO temp.merge_fields VALUES (?, ?, ?)", keys)
    pairs = cur.execute(
        f"SELECT {ID_FUNCTION}(x.change_id, y.change_id), f.tbl, f.row_id, "
        "CASE WHEN f.tbl = 'household' THEN f.row_id ELSE (SELECT h.household_id "
        "FROM change_log h WHERE h.tbl = f.tbl AND h.row_id = f.row_id "
        "AND h.household_id IS NOT NULL LIMIT 1) END, f.field, "
        "y.change_id, y.value, y.hlc, y.device_id, y.cadre, "
        "x.change_id, x.value, x.hlc, x.device_id, x.cadre "
        "FROM temp.merge_fields f "
        "JOIN change_log x ON x.tbl = f.tbl AND x.row_id = f.row_id AND x.field = f.field "
        "JOIN change_log y ON y.tbl = f.tbl AND y.row_id = f.row_id AND y.field = f.field "
        "WHERE y.hlc > x.hlc AND y.hlc > COALESCE(x.base_hlc, '') "
        "AND x.hlc > COALESCE(y.base_hlc, '') AND y.value IS NOT x.value "
        "ORDER BY f.tbl, f.row_id, f.field, x.hlc, y.hlc"
    ).fetchall()
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    found: list[str] = []
    for pair in pairs:
        cur.execute(
            f"INSERT OR IGNORE INTO conflict ({CONFLICT_COLUMNS}) VALUES ({', '.join('?' * 16)})",
            (*pair, now),
        )
        if cur.rowcount:
            found.append(pair[0])
    settle = cur.execute(
        "SELECT DISTINCT c.tbl, c.row_id, c.field FROM conflict c JOIN temp.merge_fields f "
        "ON f.tbl = c.tbl AND f.row_id = c.row_id AND f.field = c.field ORDER BY 1, 2, 3"
    ).fetchall()
    cur.execute("DELETE FROM temp.merge_fields")
    for table, row_id, name in settle:
        settle_resolutions(cur, table, row_id, name)
    return found


def settle_resolutions(cur: sqlite3.Cursor, table: str, row_id: str, name: str) -> None:
    """A conflict is resolved by the earliest 'resolve' change to its field made after seeing
    both sides (base stamp at or past the winner's). Derived from the change log alone, so the
    resolution state converges like the data does."""
    resolves = cur.execute(
        "SELECT change_id, base_hlc FROM change_log WHERE tbl = ? AND row_id = ? AND field = ? "
        "AND op = 'resolve' ORDER BY hlc",
        (table, row_id, name),
    ).fetchall()
    conflicts = cur.execute(
        "SELECT id, winner_hlc, resolved_by_change FROM conflict "
        "WHERE tbl = ? AND row_id = ? AND field = ?",
        (table, row_id, name),
    ).fetchall()
    for ident, winner_hlc, resolved in conflicts:
        by = next((cid for cid, base in resolves if (base or "") >= winner_hlc), None)
        if by != resolved:
            cur.execute("UPDATE conflict SET resolved_by_change = ? WHERE id = ?", (by, ident))


def scan_local_conflicts_in(uow: UnitOfWork, cur: sqlite3.Cursor) -> list[str]:
    """Conflicts made on this laptop: an edit saved against a stale base after another device's
    change to the same field had already arrived. Other replicas see the pair when our edit
    reaches them; we see it here, the next time we merge or export."""
    ensure_indexes(cur)
    found = cur.execute("SELECT value FROM setting WHERE key = ?", (SCANNED_KEY,)).fetchone()
    scanned = int(json.loads(found[0])) if found else 0
    top = cur.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE device_id = ?", (uow.device_id,)
    ).fetchone()[0]
    top = max(int(top), uow.next_seq - 1)
    if top <= scanned:
        return []
    suspects = cur.execute(
        "SELECT DISTINCT x.tbl, x.row_id, x.field FROM change_log x JOIN change_log y "
        "ON y.tbl = x.tbl AND y.row_id = x.row_id AND y.field = x.field "
        "WHERE x.device_id = ? AND x.seq > ? AND x.field != '*' AND y.change_id != x.change_id "
        "AND y.hlc > COALESCE(x.base_hlc, '') AND x.hlc > COALESCE(y.base_hlc, '') "
        "AND y.value IS NOT x.value",
        (uow.device_id, scanned),
    ).fetchall()
    ids = record_conflicts_many(cur, suspects)
    cur.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (SCANNED_KEY, json.dumps(top)),
    )
    return ids


def _household_of_row(cur: sqlite3.Cursor, table: str, row_id: str) -> str | None:
    if table == "household":
        return row_id
    found = cur.execute(
        "SELECT household_id FROM change_log WHERE tbl = ? AND row_id = ? "
        "AND household_id IS NOT NULL LIMIT 1",
        (table, row_id),
    ).fetchone()
    return found[0] if found else None
