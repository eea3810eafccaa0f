"""Putting a verified restored file in the database's place, so that it is never half-restored.

The database (with its WAL, whose frames belong to it and must never be replayed onto another
file) is renamed to a dated copy, the restored file renamed into its place, and a journal beside
them says what was being done. A crash in between is finished or undone by ``recover`` at the
next start, before anything opens the database; a restored file that then fails to open is put
back the same way. All renames stay in one folder, so each is atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.core.backup.snapshot import SIDE_FILES
from desktop.core.durable import fsync_dir, write_atomically
from desktop.core.i18n import _

JOURNAL_SUFFIX = ".restore-journal.json"
ASIDE_MARK = ".before-restore-"


@dataclass(frozen=True)
class SwapPlan:
    db_path: Path
    restored: Path  # the verified file to put in place, in the same folder
    key_file: bytes | None  # the key file the restored database needs; None: keep the current
    drop_key_file: bool  # the restored database is plain: set the current key file aside
    key_file_path: Path

    @property
    def aside(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return self.db_path.with_name(f"{self.db_path.name}{ASIDE_MARK}{stamp}")


def journal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + JOURNAL_SUFFIX)


def _aside_key(aside: Path, key_file_path: Path, db_path: Path) -> Path:
    suffix = key_file_path.name[len(db_path.name) :]
    return aside.with_name(aside.name + suffix)


def swap_in(plan: SwapPlan) -> Path | None:
    """Do the swap; returns the dated copy of the previous database (None if there was none)."""
    aside = plan.aside
    key_aside = _aside_key(aside, plan.key_file_path, plan.db_path)
    journal = {
        "db": str(plan.db_path),
        "restored": str(plan.restored),
        "aside": str(aside),
        "key_file": str(plan.key_file_path),
        "key_aside": str(key_aside),
        "installed_key": plan.key_file is not None,
    }
    write_atomically(journal_path(plan.db_path), json.dumps(journal, indent=2), private=True)
    had_database = plan.db_path.exists()
    if had_database:
        os.replace(plan.db_path, aside)
        wal = plan.db_path.with_name(plan.db_path.name + "-wal")
        if wal.exists():
            os.replace(wal, aside.with_name(aside.name + "-wal"))
        for suffix in ("-shm", "-journal"):
            plan.db_path.with_name(plan.db_path.name + suffix).unlink(missing_ok=True)
    if (plan.key_file is not None or plan.drop_key_file) and plan.key_file_path.exists():
        os.replace(plan.key_file_path, key_aside)
    if plan.key_file is not None:
        write_atomically(plan.key_file_path, plan.key_file, private=True)
    os.replace(plan.restored, plan.db_path)
    fsync_dir(plan.db_path.parent)
    return aside if had_database else None


def finish(db_path: Path, keep: Path | None) -> None:
    """The restored database opened: forget the journal; keep only the newest dated copy."""
    journal_path(db_path).unlink(missing_ok=True)
    for older in db_path.parent.glob(f"{db_path.name}{ASIDE_MARK}*"):
        if keep is not None and older.name.startswith(keep.name):
            continue
        older.unlink(missing_ok=True)
    fsync_dir(db_path.parent)


def roll_back(db_path: Path) -> bool:
    """Undo a swap recorded in the journal; True when something was put back."""
    journal = _read_journal(db_path)
    if journal is None:
        return False
    aside, key_aside = Path(journal["aside"]), Path(journal["key_aside"])
    key_file, restored = Path(journal["key_file"]), Path(journal["restored"])
    if aside.exists():
        for suffix in ("", *SIDE_FILES):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        os.replace(aside, db_path)
        wal = aside.with_name(aside.name + "-wal")
        if wal.exists():
            os.replace(wal, db_path.with_name(db_path.name + "-wal"))
    if key_aside.exists():
        os.replace(key_aside, key_file)
    elif journal.get("installed_key"):
        key_file.unlink(missing_ok=True)  # there was none before: a plain database again
    for suffix in ("", *SIDE_FILES):
        restored.with_name(restored.name + suffix).unlink(missing_ok=True)
    journal_path(db_path).unlink(missing_ok=True)
    fsync_dir(db_path.parent)
    return True


def recover(db_path: Path) -> str | None:
    """At start: finish or undo a restore a crash interrupted. Returns a sentence saying what
    was done, or None when there was nothing to do."""
    journal = _read_journal(db_path)
    if journal is None:
        return None
    if Path(journal["restored"]).exists():  # the restored file never reached its place
        roll_back(db_path)
        return _("上次的恢复没有做完（程序被中断），已退回到恢复之前的数据库。")
    journal_path(db_path).unlink(missing_ok=True)  # in place, and checked before the swap
    return _("上次的恢复已经完成。")


def _read_journal(db_path: Path) -> dict[str, Any] | None:
    try:
        content = json.loads(journal_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None
