"""What the app opens when started without --db or --demo: the wizard, or the unlock dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog

from desktop.core.database import Database
from desktop.ui.first_run import needs_first_run, startup_path
from desktop.ui.first_run.wizard import FirstRunWizard
from desktop.ui.lock.unlock_dialog import open_at_start
from desktop.ui.tasks import TaskRunner


def set_up_or_unlock(runner: TaskRunner, default: Path, demo_path: Path) -> Database | None:
    """A new laptop (or one whose setup stopped half-way) gets the first-run wizard; a set-up
    one asks for its passphrase. None when the cadre closed either."""
    path = startup_path(default)
    if not needs_first_run(path):
        return open_at_start(path)
    wizard = FirstRunWizard(runner, path, demo_path)
    if wizard.exec() != QDialog.DialogCode.Accepted:
        return None
    return wizard.take_database()
