"""Opening the laptop's SQLite file safely.

Every connection gets the same pragmas (WAL, synchronous=FULL so a save that returned survives a
power cut, foreign keys) and the ``uow_active()`` SQL function that the guard triggers consult: a
synced table accepts writes only while a unit of work holds the connection. Migrations run on open,
after a backup copy of the file.

An encrypted database is an SQLCipher file: every connection to it, the engine's and the raw ones
(backups, bulk loaders), is made by ``connect_raw(path, key)``, which gives SQLCipher the raw
256-bit data key (no key derivation per connection) and proves the key before anything else runs.
A plain database (the county's store, tests, benchmarks) keeps the standard library's sqlite3.
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


def cipher_module() -> Any:
    """SQLCipher's DB-API module (imported on first use: plain databases never load it)."""
    import sqlcipher3.dbapi2

    return sqlcipher3.dbapi2


def connect_raw(path: str | Path, key: bytes | None = None, **kwargs: Any) -> Any:
    """A DB-API connection to the database at ``path``: SQLCipher keyed with ``key`` when given,
    else plain sqlite3. ``kwargs`` go to ``connect`` (``isolation_level``, ``check_same_thread``).

    The one way Doorstep opens its database outside the engine. With a key, a wrong key raises
    ``DatabaseError`` here, before any statement could create or change anything."""
    if key is None:
        return sqlite3.connect(path, **kwargs)
    module = cipher_module()
    conn = module.connect(str(path), **kwargs)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except module.DatabaseError as exc:
        conn.close()
        raise DatabaseError(
            _("数据库 {path} 无法用这把密钥打开（密钥不对或文件已损坏）。").format(path=path)
        ) from exc
    return conn


def driver_connection(conn: Any) -> Any:
    """The DB-API connection under a SQLAlchemy ``Connection`` (sqlite3 or SQLCipher's)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    return raw


def integrity_errors(*more: type[Exception]) -> tuple[type[Exception], ...]:
    """The drivers' IntegrityError classes (plus ``more``), for code that runs SQL on a raw
    cursor: ``except integrity_errors(sqlalchemy.exc.IntegrityError) as exc``."""
    return (*more, sqlite3.IntegrityError, cipher_module().IntegrityError)


def make_engine(path: Path, key: bytes | None = None) -> Engine:
    """An engine whose connections all carry the pragmas and the guard function; with ``key``,
    every connection is an SQLCipher connection keyed with it."""
    if key is None:
        engine = create_engine(
            f"sqlite:///{path}",
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=4,
            connect_args={"check_same_thread": False, "isolation_level": None},
        )
    else:
        engine = create_engine(
            f"sqlite:///{path}",
            module=cipher_module(),
            creator=lambda: connect_raw(path, key, check_same_thread=False, isolation_level=None),
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=4,
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


def has_plain_header(path: Path) -> bool:
    """True for a plain SQLite file; an SQLCipher file's first page is ciphertext throughout."""
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def check_file(path: Path, encrypted: bool = False) -> None:
    """Refuse a file that is not a Doorstep database before touching it. An encrypted file
    (``encrypted``: it has a key file) cannot be read until keyed: it must NOT look plain."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(100)
    if encrypted:
        if header.startswith(b"SQLite format 3\x00"):
            raise DatabaseError(
                _(
                    "数据库 {path} 有密钥文件却没有加密：加密没有做完，请再运行一次“doorstep encrypt”。"
                ).format(path=path)
            )
        return
    if not header.startswith(b"SQLite format 3\x00"):
        raise DatabaseError(_("文件 {path} 不是入户通数据库。").format(path=path))
    app_id = int.from_bytes(header[68:72], "big")
    if app_id not in (0, APPLICATION_ID):
        raise DatabaseError(_("文件 {path} 属于其他程序，不是入户通数据库。").format(path=path))


def backup_copy(path: Path, label: str, key: bytes | None = None) -> Path:
    """Copy the database (consistently, through SQLite's backup API) before a risky step.

    An encrypted database is copied encrypted with the same key, and its key file is copied
    beside the copy (``<copy>.cipher.json``) so the copy opens with the same passphrase."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{label}-{stamp}.bak")
    source = connect_raw(path, key)
    try:
        dest = connect_raw(target, key)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    if key is not None:
        keys = path.with_name(path.name + ".cipher.json")
        if keys.exists():
            shutil.copy2(keys, target.with_name(target.name + ".cipher.json"))
    return target


def copy_file(source: Path, target: Path) -> None:
    shutil.copy2(source, target)
