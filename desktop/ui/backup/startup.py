"""At start, when the database would not open: is it damaged? Then offer its backups.

The main window cannot be built on a file SQLite refuses, so this runs before it, with its own
worker for the check and the restore. Returns True when a backup was restored (the caller opens
the database again), False otherwise (the reason was already shown).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QMessageBox

from desktop.core.backup import check_database, list_backups, recover, restore_backup, store
from desktop.core.backup.snapshot import read_device_id
from desktop.core.crypto import keys
from desktop.core.i18n import _
from desktop.ui.backup.window import BackupWindow
from desktop.ui.tasks import TaskRunner


def recover_interrupted_restore(path: Path) -> str | None:
    """Finish or undo a restore a crash interrupted, before anything opens the database; the
    cadre is told which of the two happened."""
    note = recover(path)
    if note:
        QMessageBox.information(None, _("备份与恢复"), note)
    return note


def offer_restore_when_damaged(path: Path, runner: TaskRunner, folder: Path | None = None) -> bool:
    """A plain database that fails ``quick_check`` and has backups: show them, restore one."""
    if not path.exists() or keys.is_encrypted(path):
        return False  # an encrypted file is checked once unlocked (BackupService.start)
    report = _on_worker(runner, lambda: check_database(path))
    if report.ok:
        return False
    folder = folder or store.default_folder()
    device = read_device_id(path, None)
    if not list_backups(folder, device):
        return False
    dialog = BackupWindow(
        restore_runner=runner,
        backup_runner=runner,
        restore_fn=lambda backup, other, passphrase, progress: restore_backup(
            backup, path, passphrase=passphrase, allow_other_device=other, progress=progress
        ),
        db=None,
        device_id=device,
        folder=folder,
        damaged=report,
    )
    restored: list[object] = []
    dialog.restored.connect(restored.append)
    dialog.restored.connect(lambda _r: dialog.accept())
    dialog.load()
    dialog.exec()
    return bool(restored)


def _on_worker(runner: TaskRunner, fn):  # type: ignore[no-untyped-def]
    loop = QEventLoop()
    box: dict[str, object] = {}

    def finish(key: str, value: object) -> None:
        box[key] = value
        loop.quit()

    runner.submit(fn, lambda r: finish("result", r), lambda e: finish("error", e))
    if not box:
        loop.exec()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]
