"""A consistent copy of the live database, made with SQLite's backup API while the app works.

The copy is taken in one backup step, i.e. inside one read transaction: in WAL mode writers go on
(the cadre keeps saving) and the copy is exactly the database as of one commit. Stepping page by
page would let each write restart the copy. The copy is made with the library and key the app
uses for that file (``connect_raw``): two SQLite libraries must never hold one file at once.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from desktop.core.backup.errors import BackupError
from desktop.core.backup.integrity import check_database
from desktop.core.db import APPLICATION_ID, connect_raw
from desktop.core.i18n import _

SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True)
class SnapshotInfo:
    device_id: str
    schema_revision: str | None
    households: int


def take_snapshot(db_path: Path, target: Path, key: bytes | None) -> None:
    """Copy the database at ``db_path`` to ``target`` (same key, so an encrypted one stays so)."""
    remove_database_file(target)
    source = connect_raw(db_path, key)
    try:
        copy = connect_raw(target, key)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def checked_snapshot_info(path: Path, key: bytes | None) -> SnapshotInfo:
    """``integrity_check`` the copy and read what the manifest says about it; a damaged copy
    (i.e. a damaged database) raises, so it never replaces a good backup."""
    report = check_database(path, key, full=True)
    if not report.ok:
        raise BackupError(
            _(
                "数据库已损坏（{problem}），没有备份，以前的备份都保留着。请从以前的备份恢复。"
            ).format(problem=report.summary())
        )
    return read_info(path, key)


def read_info(path: Path, key: bytes | None) -> SnapshotInfo:
    conn = connect_raw(path, key)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        device = conn.execute("SELECT device_id FROM device_state WHERE id = 1").fetchone()
        if app_id != APPLICATION_ID or device is None:
            raise BackupError(_("这不是入户通数据库，不能备份或恢复。"))
        revision = None
        with suppress(Exception):
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(row[0]) if row else None
        households = conn.execute("SELECT count(*) FROM household").fetchone()[0]
        return SnapshotInfo(str(device[0]), revision, int(households))
    except BackupError:
        raise
    except Exception as exc:  # a table missing: not a Doorstep database of any version
        raise BackupError(_("这不是入户通数据库，不能备份或恢复。")) from exc
    finally:
        conn.close()


def read_device_id(path: Path, key: bytes | None) -> str | None:
    """The device id of the database at ``path``, None when it cannot be read (damaged)."""
    try:
        conn = connect_raw(path, key)
    except Exception:
        return None
    try:
        row = conn.execute("SELECT device_id FROM device_state WHERE id = 1").fetchone()
        return str(row[0]) if row else None
    except Exception:
        return None
    finally:
        conn.close()


def remove_database_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    for suffix in SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
