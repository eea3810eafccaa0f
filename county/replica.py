"""The county office's own Doorstep database, kept as a replica of the store.

The county edits data rarely (seeding from the roster, deciding conflicts), and those edits must
pass the same validation and produce the same change-log entries as a laptop's. So the county
keeps an ordinary Doorstep database in its folder, fed from the store's change log with the
laptops' own merge (so it holds exactly what a laptop enrolled for every village would hold, the
same conflicts included), edits it through the unit of work, and hands the new entries to the
store as county-authored changes. It is a cache: delete it and it is rebuilt from the store.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text

from county.store import schema
from county.store.accept import accept, prepare
from desktop.core.database import Database, open_database
from desktop.sync.exchange import get_setting, put_setting
from desktop.sync.merge import ENTRY_COLUMNS, apply_entries

if TYPE_CHECKING:
    from county.data import County

REPLICA = "county-replica.db"
CURSOR_KEY = "county:replica_cursor"
PAGE = 20000


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One author at a time across processes (the server's workers and the command line)."""
    with open(path, "a+b") as handle:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if sys.platform != "win32":
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def replica_session(county: County) -> Iterator[Database]:
    with _locked(county.root / (REPLICA + ".lock")):
        db = open_database(county.root / REPLICA)
        try:
            catch_up(county, db)
            try:
                yield db
            finally:
                publish(county, db)
        finally:
            db.close()


def catch_up(county: County, db: Database) -> int:
    """Merge what the store has and the replica has not seen yet; returns how many entries."""
    with db.read() as conn:
        cursor = int(get_setting(conn, CURSOR_KEY, 0))
    log = schema.change_log.c
    total = 0
    while True:
        with county.store.read() as conn:
            rows = conn.execute(
                select(*[getattr(log, c) for c in ENTRY_COLUMNS if c != "acked"])
                .where(log.server_seq > cursor)
                .order_by(log.server_seq)
                .limit(PAGE)
            ).mappings()
            entries = [dict(r, acked=True) for r in rows]
        if not entries:
            return total
        cursor = int(entries[-1]["server_seq"])
        with db.unit_of_work() as uow:
            apply_entries(uow, entries)
            put_setting(uow.connection, CURSOR_KEY, cursor)
        total += len(entries)


def publish(county: County, db: Database) -> int:
    """Hand the replica's own new entries to the store (idempotent on change_id)."""
    me = db.device_id
    key = f"replica_seq:{me}"
    with county.store.read() as conn:
        done = int(county.store.get_meta(conn, key) or 0)
    with db.read() as conn:
        rows = conn.execute(
            text(
                f"SELECT {', '.join(ENTRY_COLUMNS)} FROM change_log "
                "WHERE device_id = :d AND seq > :s ORDER BY seq"
            ),
            {"d": me, "s": done},
        ).mappings()
        entries: list[dict[str, Any]] = [dict(r) for r in rows]
    if not entries:
        return 0
    batch = prepare(entries)
    with county.store.begin() as conn:
        accept(conn, batch)
        county.store.put_meta(conn, key, json.dumps(int(entries[-1]["seq"])))
    return len(entries)
