"""Backups of the laptop's database: daily and on demand, encrypted, verified, restorable.

- ``take``: ``take_backup(db, folder)`` and the daily ``backup_if_due(db)``;
- ``restore``: ``check_backup(file)`` and ``restore_backup(file, db_path, ...)``;
- ``store``: the backups folder, listing, pruning (N days), the retention preference;
- ``integrity``: ``check_database(path)`` (quick_check / integrity_check) for start-up and commands;
- ``swap``: the atomic swap behind a restore and ``recover`` after an interrupted one;
- ``container``/``manifest``/``sealing``: the file format (see docs/BACKUPS.md).
"""

from desktop.core.backup.errors import BackupError, DamagedDatabase, PassphraseNeeded
from desktop.core.backup.integrity import IntegrityReport, check_database, require_whole
from desktop.core.backup.manifest import Manifest
from desktop.core.backup.restore import OtherDevice, RestoreResult, check_backup, restore_backup
from desktop.core.backup.store import BackupEntry, default_folder, list_backups
from desktop.core.backup.swap import recover
from desktop.core.backup.take import BackupResult, backup_if_due, take_backup

__all__ = [
    "BackupEntry",
    "BackupError",
    "BackupResult",
    "DamagedDatabase",
    "IntegrityReport",
    "Manifest",
    "OtherDevice",
    "PassphraseNeeded",
    "RestoreResult",
    "backup_if_due",
    "check_backup",
    "check_database",
    "default_folder",
    "list_backups",
    "recover",
    "require_whole",
    "restore_backup",
    "take_backup",
]
