"""The laptop's database: open it (creating and migrating as needed) and work with it.

``Database`` is the one object the command line, the GUI and sync share (the calibre pattern): reads
use short sessions, writes use ``unit_of_work()``.

``open_database(path)`` opens a plain file; ``open_database(path, passphrase=...)`` creates or
opens an encrypted one (SQLCipher, key file beside it: desktop.core.crypto). Nothing is created,
migrated or written until the passphrase has unwrapped the key and the key has opened the file.
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
from desktop.core.crypto import keys, session
from desktop.core.db import (
    APPLICATION_ID,
    DatabaseError,
    check_file,
    connect_raw,
    has_plain_header,
    make_engine,
)
from desktop.core.i18n import _
from desktop.core.models import new_id
from desktop.core.search import bulk as search_bulk
from desktop.core.services import uow as uow_module
from desktop.core.services.uow import UnitOfWork


class Database:
    """An open Doorstep database file."""

    def __init__(self, path: Path, backup: Path | None = None, key: bytes | None = None) -> None:
        self.path = path
        self._key = key
        self.engine = make_engine(path, key)
        self.last_backup = backup
        self._write_lock = threading.RLock()
        if key is not None:
            session.remember(path, key)

    @property
    def encrypted(self) -> bool:
        return self._key is not None

    @property
    def data_key(self) -> bytes | None:
        """The raw data key of an encrypted database (for backups and the photo store)."""
        return self._key

    @classmethod
    def open(
        cls,
        path: str | Path,
        create: bool = True,
        passphrase: str | None = None,
        key: bytes | None = None,
        kdf: keys.KdfParams = keys.DEFAULT_KDF,
    ) -> Database:
        """Open (and if needed create and migrate) the database at ``path``.

        ``passphrase`` (or the unwrapped ``key``) opens an encrypted database, or makes a new
        file an encrypted one. Without either, an encrypted file asks the passphrase source the
        command line installed (``crypto.session.set_passphrase_source``), else raises
        ``DatabaseLocked``."""
        path = Path(path).expanduser()
        if not path.exists() and not create:
            raise DatabaseError(_("找不到数据库文件 {path}。").format(path=path))
        if path.is_dir():
            raise DatabaseError(_("{path} 是一个文件夹，不是数据库文件。").format(path=path))
        key, passphrase = _unlock_key(path, passphrase, key)
        check_file(path, encrypted=key is not None)
        had_data = path.exists() and path.stat().st_size > 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                _("无法创建文件夹 {path}：{error}").format(path=path.parent, error=exc)
            ) from exc
        if key is not None and not keys.is_encrypted(path):
            keys.write_key_file(path, keys.wrap(key, _new_passphrase(passphrase), kdf))
        db = cls(path, key=key)
        try:
            with db.engine.connect() as conn:
                found = conn.exec_driver_sql("PRAGMA application_id").scalar()
                if found not in (0, APPLICATION_ID):
                    raise DatabaseError(
                        _("文件 {path} 属于其他程序，不是入户通数据库。").format(path=path)
                    )
                if found != APPLICATION_ID:
                    conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
                conn.commit()
            db.last_backup = migrate.upgrade(db.engine, path, had_data, key)
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
        if self._key is not None:
            session.forget(self.path)
            self._key = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(
    path: str | Path,
    create: bool = True,
    passphrase: str | None = None,
    key: bytes | None = None,
) -> Database:
    return Database.open(path, create=create, passphrase=passphrase, key=key)


def _unlock_key(
    path: Path, passphrase: str | None, key: bytes | None
) -> tuple[bytes | None, str | None]:
    """The data key the file at ``path`` is (or will be) encrypted with (None for a plain file),
    and the passphrase it was given or asked for.

    Reads only: the key file and the first bytes of the database. A wrong passphrase raises
    before anything on disk is created or changed."""
    exists = path.exists() and path.stat().st_size > 0
    if keys.is_encrypted(path):
        if key is None and passphrase is None:
            key = session.key_for(path)  # unlocked already (another handle, the command guard)
        if key is None:
            if passphrase is None:
                passphrase = session.ask_passphrase(path, "unlock")
            if passphrase is None:
                raise keys.DatabaseLocked(
                    _("数据库 {path} 已加密，需要输入密码才能打开。").format(path=path)
                )
            key = keys.unlock(path, passphrase)
        if exists:
            check_file(path, encrypted=True)
            probe = connect_raw(path, key)  # proves the key before the engine opens anything
            probe.close()
        return key, passphrase
    if exists:
        if not has_plain_header(path):
            raise DatabaseError(
                _(
                    "文件 {path} 不是入户通数据库，或是一个加密的数据库但旁边缺少密钥文件 {key}。"
                ).format(path=path, key=keys.key_file_path(path).name)
            )
        if passphrase is not None or key is not None:
            raise DatabaseError(
                _("数据库 {path} 没有加密；请先用“doorstep encrypt”给它加密。").format(path=path)
            )
        return None, None
    if key is None and passphrase is None:
        passphrase = session.ask_passphrase(path, "create")
    if key is None and passphrase is not None:
        keys.check_new_passphrase(passphrase)
        key = keys.new_data_key()
    return key, passphrase


def _new_passphrase(passphrase: str | None) -> str:
    if passphrase is None:
        raise DatabaseError(_("新建加密数据库需要一个密码。"))
    return passphrase
