"""Where backups live and how long: the user data folder's ``backups/``, one daily backup,
daily ones kept for N days (a preference, default 14), never fewer than the newest three.

Backups are named ``doorstep-<time>-<device>-<kind>.dsbackup`` and sorted by the time in their
manifest. Only daily backups in the backups folder are ever pruned: a backup the cadre asked for,
or one on a stick, is theirs to delete.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from platformdirs import user_data_dir

from desktop.core.backup.container import PARTIAL, SUFFIX, read_manifest
from desktop.core.backup.errors import BackupError
from desktop.core.backup.manifest import Manifest
from desktop.core.preferences import load_preferences, save_preference

DEFAULT_KEEP_DAYS = 14
MIN_KEPT = 3
KEEP_DAYS_PREFERENCE = "backup_keep_days"


@dataclass(frozen=True)
class BackupEntry:
    path: Path
    manifest: Manifest | None  # None: the file could not be read (listed so the cadre sees it)
    problem: str = ""

    @property
    def created(self) -> datetime | None:
        return self.manifest.created if self.manifest else None


def default_folder() -> Path:
    """The user data folder's backups/ (``DOORSTEP_BACKUP_DIR`` overrides it, for tests)."""
    override = os.environ.get("DOORSTEP_BACKUP_DIR")
    if override:
        return Path(override)
    return Path(user_data_dir("Doorstep", appauthor=False)) / "backups"


def keep_days() -> int:
    value = load_preferences().get(KEEP_DAYS_PREFERENCE, DEFAULT_KEEP_DAYS)
    return value if isinstance(value, int) and value >= 1 else DEFAULT_KEEP_DAYS


def set_keep_days(days: int) -> None:
    if days < 1:
        raise ValueError(days)
    save_preference(KEEP_DAYS_PREFERENCE, days)


def now_local() -> datetime:
    return datetime.now().astimezone()


def file_name(created: datetime, device_id: str, kind: str) -> str:
    return f"doorstep-{created:%Y%m%d-%H%M%S}-{device_id[:8]}-{kind}{SUFFIX}"


def free_name(folder: Path, created: datetime, device_id: str, kind: str) -> Path:
    """A name not yet taken (two backups in one second get ``-2``)."""
    path = folder / file_name(created, device_id, kind)
    counter = 2
    while path.exists():
        path = folder / file_name(created, device_id, f"{kind}-{counter}")
        counter += 1
    return path


def list_backups(folder: Path, device_id: str | None = None) -> list[BackupEntry]:
    """Backups in ``folder``, newest first (those of ``device_id`` only, when given); files that
    cannot be read come last, with the reason."""
    if not folder.is_dir():
        return []
    good: list[BackupEntry] = []
    bad: list[BackupEntry] = []
    for path in folder.iterdir():
        if not path.name.endswith(SUFFIX) or path.name.endswith(PARTIAL):
            continue
        try:
            manifest = read_manifest(path)
        except (BackupError, OSError) as exc:
            bad.append(BackupEntry(path, None, str(exc)))
            continue
        if device_id is None or manifest.device_id == device_id:
            good.append(BackupEntry(path, manifest))
    good.sort(key=lambda entry: entry.manifest.created if entry.manifest else 0, reverse=True)
    return good + sorted(bad, key=lambda entry: entry.path.name)


def daily_due(folder: Path, device_id: str, now: datetime | None = None) -> bool:
    """True when this laptop has no daily backup made today (local date)."""
    today = (now or now_local()).date()
    return not any(
        entry.manifest.kind == "daily" and entry.manifest.created.astimezone().date() == today
        for entry in list_backups(folder, device_id)
        if entry.manifest
    )


def prune(folder: Path, device_id: str, days: int, now: datetime | None = None) -> list[Path]:
    """Delete this laptop's daily backups older than ``days``, keeping the newest three."""
    cutoff = (now or now_local()) - timedelta(days=days)
    daily = [
        entry
        for entry in list_backups(folder, device_id)
        if entry.manifest and entry.manifest.kind == "daily"
    ]
    removed = []
    for entry in daily[MIN_KEPT:]:
        assert entry.manifest is not None
        if entry.manifest.created < cutoff:
            entry.path.unlink(missing_ok=True)
            removed.append(entry.path)
    return removed


STALE_PARTIAL_SECONDS = 3600


def remove_stale_partials(folder: Path) -> list[Path]:
    """Half-written files a crash left behind (an hour old: no backup takes that long to write)."""
    removed = []
    cutoff = time.time() - STALE_PARTIAL_SECONDS
    for path in folder.glob(f"*{SUFFIX}{PARTIAL}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
