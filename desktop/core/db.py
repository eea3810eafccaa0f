"""Opening the laptop's SQLite file safely.

Every connection gets the same pragmas (WAL, synchronous=FULL so a save that returned survives a
power cut, foreign keys) and the ``uow_active()`` SQL function that the guard triggers consult: a
synced table accepts writes only while a unit of work holds the connection. Migrations run on open,
after a backup copy of the file.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from desktop.core.i18n import _

APPLICATION_ID = 0x44535450  # "DSTP"
BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """A database that cannot be opened or used; the message is a sentence for the user."""


@dataclass
class GuardState:
    """Per-connection flag read by the ``uow_active()`` SQL function."""

    active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _guard_of(dbapi_connection: Any) -> GuardState:
    return _GUARDS[id(dbapi_connection)]


_GUARDS: dict[int, GuardState] = {}

ConnectionHook = Callable[[sqlite3.Connection], None]
CONNECTION_HOOKS: list[ConnectionHook] = []


def add_connection_hook(hook: ConnectionHook) -> None:
    """Let a core module register SQL functions (e.g. pinyin for the search index) on every
    connection Doorstep opens. Registered at import time of that module."""
    if hook not in CONNECTION_HOOKS:
        CONNECTION_HOOKS.append(hook)


def configure_connection(dbapi_connection: sqlite3.Connection) -> GuardState:
    """Apply Doorstep's pragmas and register the guard function on a raw sqlite3 connection."""
    guard = GuardState()
    _GUARDS[id(dbapi_connection)] = guard
    dbapi_connection.create_function("uow_active", 0, lambda: guard.active)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-32000")
    cursor.close()
    for hook in CONNECTION_HOOKS:
        hook(dbapi_connection)
    return guard


def make_engine(path: Path) -> Engine:
    """An engine whose connections all carry the pragmas and the guard function."""
    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"check_same_thread": False, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        configure_connection(dbapi_connection)

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        _GUARDS.pop(id(dbapi_connection), None)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # isolation_level=None hands transaction control to us: BEGIN IMMEDIATE takes the write
        # lock up front, so two writers queue on busy_timeout instead of deadlocking mid-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    return engine


def check_file(path: Path) -> None:
    """Refuse a file that is not a Doorstep database before touching it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(b"SQLite format 3\x00"):
        raise DatabaseError(_("文件 {path} 不是入户通数据库。").format(path=path))
    app_id = int.from_bytes(header[68:72], "big")
    if app_id not in (0, APPLICATION_ID):
        raise DatabaseError(_("文件 {path} 属于其他程序，不是入户通数据库。").format(path=path))


def backup_copy(path: Path, label: str) -> Path:
    """Copy the database (consistently, through SQLite's backup API) before a risky step."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{label}-{stamp}.bak")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def copy_file(source: Path, target: Path) -> None:
    shutil.copy2(source, target)
