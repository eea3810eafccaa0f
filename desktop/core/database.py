"""The laptop's database: open it (creating and migrating as needed) and work with it.

``Database`` is the one object the command line, the GUI and sync share (the calibre pattern): reads
use short sessions, writes use ``unit_of_work()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session

from desktop.core import migrate, search
from desktop.core.db import APPLICATION_ID, DatabaseError, check_file, make_engine
from desktop.core.i18n import _
from desktop.core.models import new_id
from desktop.core.search import bulk as search_bulk
from desktop.core.services import uow as uow_module
from desktop.core.services.uow import UnitOfWork


class Database:
    """An open Doorstep database file."""

    def __init__(self, path: Path, backup: Path | None = None) -> None:
        self.path = path
        self.engine = make_engine(path)
        self.last_backup = backup
        self._write_lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Database:
        """Open (and if needed create and migrate) the database at ``path``."""
        path = Path(path).expanduser()
        if not path.exists() and not create:
            raise DatabaseError(_("找不到数据库文件 {path}。").format(path=path))
        if path.is_dir():
            raise DatabaseError(_("{path} 是一个文件夹，不是数据库文件。").format(path=path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                _("无法创建文件夹 {path}：{error}").format(path=path.parent, error=exc)
            ) from exc
        check_file(path)
        had_data = path.exists() and path.stat().st_size > 0
        db = cls(path)
        try:
            with db.engine.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
                conn.commit()
            db.last_backup = migrate.upgrade(db.engine, path, had_data)
            db._ensure_device()
            search.ensure_index(db)
        except DatabaseError:
            db.close()
            raise
        except Exception as exc:
            db.close()
            raise DatabaseError(
                _("无法打开数据库 {path}：{error}").format(path=path, error=exc)
            ) from exc
        return db

    def _ensure_device(self) -> None:
        with self.engine.connect() as conn:
            found = conn.execute(text("SELECT device_id FROM device_state WHERE id = 1")).first()
            if found is None:
                conn.execute(
                    text(
                        "INSERT INTO device_state (id, device_id, cadre, hlc_ms, hlc_counter, next_seq) VALUES (1, :d, '', 0, 0, 1)"
                    ),
                    {"d": new_id()},
                )
                conn.commit()

    # ----------------------------------------------------------------- identity
    @property
    def device_id(self) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(text("SELECT device_id FROM device_state WHERE id = 1")).scalar_one()
            )

    def set_cadre(self, name: str) -> None:
        with self.write_connection() as conn:
            conn.execute(text("UPDATE device_state SET cadre = :c WHERE id = 1"), {"c": name})

    # ----------------------------------------------------------------- reading and writing
    def session(self) -> Session:
        """A read session; use as a context manager."""
        return Session(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A connection inside BEGIN IMMEDIATE for local (unsynced) tables; commits on success."""
        with self._write_lock, self.engine.connect() as conn:
            conn.info["write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info["write"] = False

    @contextmanager
    def unit_of_work(
        self, cadre: str | None = None, accept_warnings: bool = True, bulk: bool = False
    ) -> Iterator[UnitOfWork]:
        """The only way to change synced data: rows and change log commit together or not at all.

        ``bulk``: a large batch (import, demo): the search index is rebuilt once for the touched
        households at the end, in the same transaction, instead of by a trigger per row.
        """
        with self.write_connection() as conn:
            work = uow_module.begin(conn, cadre)
            work.accept_warnings = accept_warnings
            cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            suspended = search_bulk.suspend(cursor) if bulk else []
            try:
                yield work
                if suspended:
                    touched = {c.household_id for c in work.changes if c.household_id}
                    search_bulk.resume(cursor, suspended, touched)
                work.flush_log()
                work.save_device_state()
            finally:
                cursor.close()
                uow_module.end(work)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(path: str | Path, create: bool = True) -> Database:
    return Database.open(path, create=create)
