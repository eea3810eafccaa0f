"""Making, re-keying and converting encrypted databases.

- ``create_encrypted(path, passphrase)``: a new encrypted database (the first-run wizard).
- ``change_passphrase(path, old, new)``: re-wraps the data key; the database and photos are not
  rewritten (their bytes stay exactly as they were).
- ``encrypt_existing(path, passphrase)``: a plain database becomes an encrypted one through
  SQLCipher's ``sqlcipher_export`` into a new file, checked table by table, then swapped in; the
  photo store is sealed file by file. The plain file is copied first and the copy removed only
  once the encrypted one is in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from desktop.core.crypto import keys
from desktop.core.crypto.files import FileCipher, is_sealed
from desktop.core.database import Database
from desktop.core.db import (
    DatabaseError,
    backup_copy,
    cipher_module,
    connect_raw,
    has_plain_header,
)
from desktop.core.durable import fsync_dir, write_atomically
from desktop.core.i18n import _

# Secrets other parts keep beside the database, sealed when it is encrypted: the laptop's
# signing key and age identity (desktop.sync.keys, which opens sealed files itself). Named, not
# imported: the core does not import sync.
COMPANION_SECRETS = (".keys.json",)


@dataclass
class EncryptResult:
    path: Path
    photos_sealed: int = 0
    already_encrypted: bool = False
    plain_copies: list[Path] = field(default_factory=list)  # older plain backups beside it


def create_encrypted(
    path: str | Path, passphrase: str, kdf: keys.KdfParams = keys.DEFAULT_KDF
) -> Database:
    """A new, empty encrypted database at ``path`` (refuses an existing file)."""
    path = Path(path).expanduser()
    if (path.exists() and path.stat().st_size > 0) or keys.is_encrypted(path):
        raise DatabaseError(_("数据库 {path} 已经存在，不能再新建。").format(path=path))
    keys.check_new_passphrase(passphrase)
    return Database.open(path, create=True, passphrase=passphrase, kdf=kdf)


def change_passphrase(
    path: str | Path, old: str, new: str, kdf: keys.KdfParams = keys.DEFAULT_KDF
) -> None:
    """Give an encrypted database a new passphrase; a wrong ``old`` changes nothing."""
    path = Path(path).expanduser()
    if not keys.is_encrypted(path):
        raise DatabaseError(_("数据库 {path} 没有加密，没有密码可改。").format(path=path))
    keys.rewrap(path, old, new, kdf)


def encrypting_path(path: Path) -> Path:
    return path.with_name(path.name + ".encrypting")


def encrypt_existing(
    path: str | Path, passphrase: str, kdf: keys.KdfParams = keys.DEFAULT_KDF
) -> EncryptResult:
    """Encrypt the plain database at ``path`` and its photos, in place.

    Run it with the app closed, and with no ``Database`` on this file open in this process
    (SQLite's locks do not reach across the two SQLite libraries a process holds, sqlite3's and
    SQLCipher's; another process's save is detected). Safe to run again after an interruption:
    it finishes what was left (the swap, or photos not yet sealed) and never loses the plain
    data before the encrypted copy has been checked."""
    from desktop.core.photos import PhotoStore, store_dir

    path = Path(path).expanduser()
    if not path.exists() or path.stat().st_size == 0:
        raise DatabaseError(_("找不到数据库文件 {path}。").format(path=path))
    result = EncryptResult(path)
    if keys.is_encrypted(path):
        data_key = keys.unlock(path, passphrase)
        if has_plain_header(path):
            _finish_swap(path, data_key)
        else:
            result.already_encrypted = True
    else:
        if not has_plain_header(path):
            raise DatabaseError(_("文件 {path} 不是入户通数据库。").format(path=path))
        keys.check_new_passphrase(passphrase)
        data_key = keys.new_data_key()
        target = encrypting_path(path)
        _export(path, target, data_key)
        _verify_copy(path, target, data_key)
        keep = backup_copy(path, "before-encrypt")
        keys.write_key_file(path, keys.wrap(data_key, passphrase, kdf))
        _finish_swap(path, data_key)
        keep.unlink(missing_ok=True)
    store = PhotoStore(store_dir(path), FileCipher(data_key))
    result.photos_sealed = store.seal_existing()
    _seal_companions(path, FileCipher(data_key))
    result.plain_copies = [
        p
        for p in sorted(path.parent.glob(f"{path.stem}.*.bak"))
        if p.is_file() and p.stat().st_size > 0 and has_plain_header(p)
    ]
    return result


def _export(source: Path, target: Path, data_key: bytes) -> None:
    """Copy every table, index, trigger and the search index into a new SQLCipher file."""
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    module = cipher_module()
    conn = module.connect(str(source), isolation_level=None, timeout=2.0)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy and busy[0]:
            raise DatabaseError(
                _("数据库 {path} 正被入户通使用，请先关闭程序再加密。").format(path=source)
            )
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{data_key.hex()}'\"", (str(target),))
        try:
            conn.execute("BEGIN IMMEDIATE")  # no writer may slip in while the copy is made
            conn.execute("SELECT sqlcipher_export('encrypted')")
            conn.execute(f"PRAGMA encrypted.user_version = {user_version}")
            conn.execute(f"PRAGMA encrypted.application_id = {application_id}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("DETACH DATABASE encrypted")
    except module.Error as exc:
        target.unlink(missing_ok=True)
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(
                _("数据库 {path} 正被入户通使用，请先关闭程序再加密。").format(path=source)
            ) from exc
        raise DatabaseError(
            _("无法加密数据库 {path}：{error}").format(path=source, error=exc)
        ) from exc
    finally:
        conn.close()
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def _verify_copy(source: Path, target: Path, data_key: bytes) -> None:
    """The encrypted copy must pass integrity_check and hold as many rows as the original in
    every table; otherwise it is removed and the original stays as it is."""
    plain = connect_raw(source)
    sealed = connect_raw(target, data_key)
    try:
        check = sealed.execute("PRAGMA integrity_check").fetchone()[0]
        tables = [
            str(row[0])
            for row in plain.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        for table in tables:
            query = f'SELECT count(*) FROM "{table}"'
            if plain.execute(query).fetchone() != sealed.execute(query).fetchone():
                check = f"{table}: row counts differ"
        if check != "ok":
            raise DatabaseError(
                _("加密后的数据库检查没有通过（{error}），原数据库没有改动。").format(error=check)
            )
    except BaseException:
        sealed.close()
        target.unlink(missing_ok=True)
        raise
    finally:
        plain.close()
        sealed.close()


def _seal_companions(path: Path, cipher: FileCipher) -> None:
    """Seal the clear secret files beside the database in place (temp file, rename; the owner-only
    mode is kept)."""
    for suffix in COMPANION_SECRETS:
        companion = path.with_name(path.name + suffix)
        if not companion.is_file() or is_sealed(companion):
            continue
        sealed = cipher.seal_bytes(companion.read_bytes())
        write_atomically(companion, sealed, private=True)


def _finish_swap(path: Path, data_key: bytes) -> None:
    """Put the checked encrypted copy in place of the plain file (key file already written)."""
    target = encrypting_path(path)
    if not target.exists():
        raise DatabaseError(
            _(
                "数据库 {path} 有密钥文件却没有加密，也找不到加密到一半的文件；请从备份恢复。"
            ).format(path=path)
        )
    connect_raw(target, data_key).close()  # the key must open it before it replaces anything
    os.replace(target, path)
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)  # the plain file's (emptied) log must not meet the new file
    fsync_dir(path.parent)
