"""Where backups plug into the app: 文件 → 备份与恢复…, and the backup service started with it.

The service runs on a worker of its own (a second ``TaskRunner``): the start-up ``quick_check``
and the daily backup read the whole file (0.5 s and ~15 s on the 10,000-household demo), and on
the app's single worker they would hold up every list and form behind them. It starts once the
window is usable, checks the database, offers a restore when it is damaged, takes the daily
backup when none was taken today, and looks again every hour (a laptop left open overnight).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from desktop.core.backup import (
    IntegrityReport,
    backup_if_due,
    check_database,
    restore_backup,
    store,
)
from desktop.core.i18n import _
from desktop.ui.backup.window import BackupWindow
from desktop.ui.tasks import TaskRunner
from desktop.ui.undo import UndoStack

DAILY_CHECK_MS = 60 * 60 * 1000


class BackupService(QObject):
    """The backup worker, the daily timer and the last start-up check of one main window."""

    def __init__(self, window: Any, folder: Path | None = None, daily: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.folder = folder or store.default_folder()
        self.daily = daily
        self.runner = TaskRunner(self)
        self.report: IntegrityReport | None = None
        self.last_daily: Any = None
        self.timer = QTimer(self)
        self.timer.setInterval(DAILY_CHECK_MS)
        self.timer.timeout.connect(self.backup_if_due)
        self._tasks: list[Any] = []
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.stop()
        return False

    def start(self) -> None:
        """Check the database, then (when whole) take today's backup."""
        db = self.window.ctx.db
        key = db.data_key
        self.runner.submit(lambda: check_database(db.path, key), self._checked, key="check")

    def _checked(self, report: IntegrityReport) -> None:
        self.report = report
        if not report.ok:
            open_backup_window(self.window, damaged=report)
            return
        if self.daily:
            self.backup_if_due()
            self.timer.start()

    def backup_if_due(self) -> None:
        db, folder = self.window.ctx.db, self.folder

        def done(result: Any) -> None:
            if result is not None:
                self.last_daily = result
                self.window.statusBar().showMessage(
                    _("今天的自动备份已完成：{name}").format(name=result.path.name), 10_000
                )

        def failed(exc: BaseException) -> None:
            self.window.statusBar().showMessage(
                _("自动备份没有完成：{error}").format(error=exc), 30_000
            )

        task = self.runner.submit(
            lambda context: backup_if_due(db, folder, context.progress, lambda: context.cancelled),
            done,
            failed,
            key="daily-backup",
            wants_context=True,
        )
        self._tasks = [t for t in self._tasks if not t.finished.is_set()] + [task]

    def stop(self) -> None:
        """At exit: a backup in progress is cancelled (its partial file removed), not awaited."""
        self.timer.stop()
        for task in self._tasks:
            task.cancel()
        self.runner.shutdown()


def add_backup_menu(window: Any) -> None:
    """文件 → 备份与恢复… (before 退出)."""
    file_menu = next(
        a.menu()
        for a in window.menuBar().actions()
        if isinstance(a.menu(), QMenu) and a.text() == _("文件")
    )
    window.backup_action = QAction(_("备份与恢复…"), window)
    window.backup_action.triggered.connect(lambda: open_backup_window(window))
    file_menu.insertAction(window.quit_action, window.backup_action)
    window.backup_service = None


def start_backup_service(window: Any, folder: Path | None = None, daily: bool = True) -> Any:
    """The app's hook: once the window is usable, check the database and back it up daily."""
    service = BackupService(window, folder, daily)
    window.backup_service = service
    if getattr(window, "_loaded_parts", None) and {"tree", "list"} <= window._loaded_parts:
        service.start()
    else:
        window.ready.connect(service.start)
    return service


def open_backup_window(window: Any, damaged: IntegrityReport | None = None) -> BackupWindow:
    service: BackupService | None = getattr(window, "backup_service", None)
    backup_runner = service.runner if service is not None else window.ctx.runner
    folder = service.folder if service is not None else store.default_folder()
    db = window.ctx.db
    dialog = BackupWindow(
        restore_runner=window.ctx.runner,
        backup_runner=backup_runner,
        restore_fn=lambda backup, other, passphrase, progress: restore_open_database(
            window, backup, other, passphrase, progress
        ),
        db=db,
        device_id=None,  # read on the worker
        folder=folder,
        damaged=damaged,
        parent=window,
    )
    dialog.restored.connect(lambda result: after_restore(window, result))
    window.backup_window = dialog
    dialog.show()
    dialog.load()
    return dialog


def restore_open_database(
    window: Any, backup: Path, allow_other: bool, passphrase: str | None, progress: Any
) -> Any:
    """On the app's worker: close the engine's connections, restore, and let the same engine
    reconnect to the restored file (same key) — every view keeps its ``Database`` object."""
    db = window.ctx.db
    key = db.data_key
    db.engine.dispose()
    return restore_backup(
        backup,
        db.path,
        key=key,
        passphrase=passphrase,
        allow_other_device=allow_other,
        progress=progress,
    )


def after_restore(window: Any, result: Any) -> None:
    """Everything on screen came from the replaced database: reload it all, forget undo."""
    from PySide6.QtWidgets import QMessageBox

    if result.key != window.ctx.db.data_key:
        QMessageBox.information(
            window,
            _("备份与恢复"),
            _("已从备份恢复。恢复的数据库用的是另一把密钥，请重新打开入户通。"),
        )
        window.close()
        return
    window.ctx.undo = UndoStack()
    window.ctx.undo_changed.emit()
    for view in list(window.household_views.values()):
        index = window.tabs.indexOf(view)
        if index > 0:
            window.tabs.removeTab(index)
        view.deleteLater()
    window.household_views.clear()
    window.refresh()
    window.statusBar().showMessage(_("已从备份恢复，列表已重新读取。"), 10_000)
