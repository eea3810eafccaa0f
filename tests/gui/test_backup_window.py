"""备份与恢复 in the app: the daily backup at start, the window's backup/restore on the workers,
and the restore offered for a damaged database (in the running app and before it opens)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.core.backup import check_database, take_backup
from desktop.core.services.households import create_household
from desktop.ui.backup import startup
from desktop.ui.backup.hooks import BackupService, open_backup_window, start_backup_service
from desktop.ui.backup.window import BackupWindow
from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from tests.gui.conftest import settle
from tests.unit.backup_samples import damage_page

TIMEOUT = 20_000


def households(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM household").fetchone()[0])
    finally:
        conn.close()


def service_for(window: MainWindow, folder: Path) -> BackupService:
    service = start_backup_service(window, folder=folder)
    assert isinstance(service, BackupService)
    return service


def add_household(ctx: AppContext) -> None:
    def work(uow: Any) -> str:
        return str(
            create_household(
                uow,
                {"number": "NEW-1", "village_code": "520102001001"},
                [{"name": "新来户", "relation": "head"}],
            )
        )

    ctx.run_op("新增农户", work)
    settle(ctx)


def test_daily_backup_then_window_backs_up_and_restores(
    qtbot: Any, window: MainWindow, ctx: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    service = service_for(window, folder)
    try:
        qtbot.waitUntil(lambda: service.last_daily is not None, timeout=TIMEOUT)
        assert service.report is not None and service.report.ok
        assert "自动备份已完成" in window.statusBar().currentMessage()
        window.backup_action.trigger()
        dialog: BackupWindow = window.backup_window
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=TIMEOUT)
        assert dialog.table.item(0, 1).text() == "每日"
        dialog.backup_now_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=TIMEOUT)
        assert "已读回核对无误" in dialog.status.text()
        # To a stick (any folder):
        stick = tmp_path / "stick"
        dialog.choose_folder = lambda: stick
        dialog.backup_to_button.click()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=TIMEOUT)
        assert len(list(stick.glob("*.dsbackup"))) == 1
        # A later change, then restore the newest backup from the list: the change is gone.
        before = households(ctx.db.path)
        add_household(ctx)
        assert households(ctx.db.path) == before + 1
        asked: list[str] = []
        dialog.ask_yes_no = lambda _title, question: asked.append(question) or True
        dialog.table.selectRow(0)
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: "已从" in dialog.status.text(), timeout=TIMEOUT)
        settle(ctx)
        assert asked and "替换现在的数据库" in asked[0]
        assert households(ctx.db.path) == before
        assert window.model.rowCount() == before  # the list was read again
        assert check_database(ctx.db.path, full=True).ok
        with ctx.db.read() as conn:  # the same Database object works on the restored file
            assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == before
    finally:
        service.stop()


def test_damaged_database_found_at_start_is_offered_a_restore(
    qtbot: Any, window: MainWindow, ctx: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    good = take_backup(ctx.db, folder, "manual")
    ctx.db.engine.dispose()
    damage_page(ctx.db.path, 8)
    service = service_for(window, folder)
    try:
        qtbot.waitUntil(lambda: getattr(window, "backup_window", None) is not None, timeout=TIMEOUT)
        dialog: BackupWindow = window.backup_window
        assert service.report is not None and not service.report.ok
        assert service.last_daily is None  # a damaged database is never backed up
        assert dialog.banner.isVisible() and "已损坏" in dialog.banner.text()
        assert not dialog.backup_now_button.isEnabled()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=TIMEOUT)
        assert dialog.selected_backup() == good.path
        dialog.ask_yes_no = lambda *_a: True
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: "已从" in dialog.status.text(), timeout=TIMEOUT)
        settle(ctx)
        assert not dialog.banner.isVisible()
        assert check_database(ctx.db.path, full=True).ok
    finally:
        service.stop()


def test_database_that_does_not_open_is_offered_its_backups_before_the_window(
    qtbot: Any, ctx: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    path = ctx.db.path
    take_backup(ctx.db, folder, "manual")
    settle(ctx)
    ctx.db.close()
    damage_page(path, 1 + 1)
    assert not check_database(path).ok
    runner = TaskRunner()
    shown: list[BackupWindow] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, BackupWindow):
            QTimer.singleShot(20, answer)
            return
        shown.append(dialog)
        dialog.ask_yes_no = lambda *_a: True
        dialog.grab().save(str(tmp_path / "damaged.png"))
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=TIMEOUT)
        dialog.restore_button.click()

    QTimer.singleShot(0, answer)
    try:
        assert startup.offer_restore_when_damaged(path, runner, folder)
    finally:
        runner.shutdown()
    assert shown and shown[0].banner.text()
    assert check_database(path, full=True).ok


def test_no_backups_no_offer(qtbot: Any, ctx: AppContext, tmp_path: Path) -> None:
    path = ctx.db.path
    settle(ctx)
    ctx.db.close()
    damage_page(path, 2)
    runner = TaskRunner()
    try:
        assert not startup.offer_restore_when_damaged(path, runner, tmp_path / "none")
    finally:
        runner.shutdown()


def test_window_lists_unreadable_files_with_the_reason(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "doorstep-20260101-000000-xxxxxxxx-daily.dsbackup").write_bytes(b"half a file")
    window.backup_service = None
    import desktop.core.backup.store as store

    dialog = open_backup_window(window)
    dialog.folder = folder
    dialog.load()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=TIMEOUT)
    assert "不是完整的" in dialog.table.item(0, 4).text()
    assert not dialog.restore_button.isEnabled()
    assert store.keep_days() == dialog.keep_days.value()


def test_another_laptops_backup_asks_first_and_explains_what_failed(
    qtbot: Any, window: MainWindow, ctx: AppContext, tmp_path: Path
) -> None:
    """Restoring another laptop's backup is asked about in plain words; a sealed one then still
    needs that laptop's backup key, and the window says so — the database is untouched."""
    from desktop.core.database import open_database
    from desktop.core.demo import generate_demo

    other = tmp_path / "other" / "doorstep.db"
    with open_database(other) as db:
        generate_demo(db, 3, 11)
        foreign = take_backup(db, tmp_path / "other-backups", "manual").path
    before = households(ctx.db.path)
    dialog = open_backup_window(window)
    questions: list[str] = []
    dialog.ask_yes_no = lambda _title, question: questions.append(question) or True
    dialog.choose_file = lambda: foreign
    dialog.restore_file_button.click()
    qtbot.waitUntil(lambda: "备份密钥" in dialog.status.text(), timeout=TIMEOUT)
    settle(ctx)
    assert len(questions) == 2 and "另一台电脑" in questions[1]
    assert households(ctx.db.path) == before
    assert not dialog.busy and dialog.restore_file_button.isEnabled()
