"""Unlocking an encrypted database, the idle lock and changing the passphrase, on real files
(SQLCipher with its key file) and real windows."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox

from desktop.core.crypto.keys import WrongPassphrase, key_file_path
from desktop.core.database import Database, open_database
from desktop.ui.context import AppContext
from desktop.ui.lock import vault
from desktop.ui.lock.change_passphrase import ChangePassphraseDialog
from desktop.ui.lock.idle_lock import Cover, LockWindow
from desktop.ui.lock.unlock_dialog import UnlockDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from tests.gui.sample import build_sample

PASSPHRASE = "红岩镇2024走访"
NEW_PASSPHRASE = "坪上村new-2025"


@pytest.fixture(scope="session")
def encrypted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("encrypted") / "doorstep.db"
    db = open_database(path, passphrase=PASSPHRASE)
    build_sample(db, 6)
    db.set_cadre("王秀英")
    with db.read() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def encrypted_path(tmp_path: Path, encrypted_template: Path) -> Path:
    path = tmp_path / "doorstep.db"
    shutil.copy(encrypted_template, path)
    shutil.copy(key_file_path(encrypted_template), key_file_path(path))
    return path


@pytest.fixture
def locked_window(
    qtbot: Any, encrypted_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MainWindow]:
    monkeypatch.setenv("DOORSTEP_CONFIG_DIR", str(tmp_path / "config"))
    db = open_database(encrypted_path, passphrase=PASSPHRASE)
    runner = TaskRunner()
    ctx = AppContext(db, runner)
    window = MainWindow(ctx)
    window.ask_yes_no = lambda *_a: False
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.ready, timeout=30_000):
        window.show()
        window.start()
    assert runner.wait_idle(20)
    yield window
    if window.idle_lock is not None:
        window.idle_lock.stop()
    runner.wait_idle(20)
    runner.shutdown()
    db.close()


def digest(*paths: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


# ------------------------------------------------------------------ at start
def test_wrong_passphrase_at_start_says_so_and_touches_nothing(
    qtbot: Any, encrypted_path: Path
) -> None:
    files = (encrypted_path, key_file_path(encrypted_path))
    before = digest(*files)
    dialog = UnlockDialog(encrypted_path)
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.field, "wrong-passphrase-1")
    QTest.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.check.wait()
    assert "密码不对" in dialog.message.text()
    assert dialog.db is None and dialog.isVisible()
    assert digest(*files) == before
    dialog.field.setText(PASSPHRASE)
    dialog.try_open()
    assert dialog.check.wait()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.db is not None
    try:
        assert dialog.db.encrypted
        with dialog.db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM household").scalar() == 6
    finally:
        dialog.db.close()


def test_a_plain_database_has_no_lock(window: MainWindow) -> None:
    assert window.idle_lock is None
    assert not window.change_passphrase_action.isEnabled()
    assert not window.lock_now_action.isEnabled()


# ------------------------------------------------------------------ idle lock
def visible_texts(widget: Any) -> str:
    return " ".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def test_idle_lock_hides_everything_and_unlock_restores_it(
    qtbot: Any, locked_window: MainWindow
) -> None:
    window = locked_window
    lock = window.idle_lock
    assert lock is not None and not lock.locked
    # the cadre is at work: a household tab, a half-typed new household, a search
    row = window.model.household_at(0)
    assert row is not None
    view = window.open_household(row.id, row.head_name)
    window.search_box.setText(row.head_name[:1])
    window.new_household()
    dialog = window.findChild(QDialog, "new_household_dialog")
    assert dialog is not None and dialog.isVisible()
    dialog.form.widgets["number"].setText("5201020010019999")
    dialog.form.widgets["number"].setFocus()

    lock.set_idle_ms(300)
    qtbot.waitUntil(lambda: lock.locked, timeout=5_000)
    lock_window = lock.lock_window
    assert isinstance(lock_window, LockWindow) and lock_window.isVisible()
    assert lock_window.windowModality() == Qt.WindowModality.ApplicationModal
    assert lock_window.name.text() == "王秀英"
    assert row.head_name not in visible_texts(lock_window)
    covered = {cover.parentWidget() for cover in window.findChildren(Cover)}
    covered |= {cover.parentWidget() for cover in dialog.findChildren(Cover)}
    assert window in covered and dialog in covered
    for cover in lock.covers:
        assert cover.isVisible() and cover.geometry() == cover.parentWidget().rect()
    # a window that appears while locked (a message from finished work) is covered too
    box = QMessageBox(QMessageBox.Icon.Information, "入户通", "打印完成", parent=window)
    box.open()
    qtbot.waitUntil(lambda: bool(box.findChildren(Cover)), timeout=2_000)

    # a wrong passphrase: a clear sentence, still locked
    QTest.keyClicks(lock_window.field, "not-the-one-9")
    QTest.keyClick(lock_window.field, Qt.Key.Key_Return)
    assert lock.key_check.wait()
    assert "密码不对" in lock_window.message.text()
    assert lock.locked
    # Escape does not get past it, nor does closing it
    QTest.keyClick(lock_window, Qt.Key.Key_Escape)
    lock_window.close()
    assert lock.locked and lock_window.isVisible()

    lock_window.field.setText(PASSPHRASE)
    lock_window.button.click()
    assert lock.key_check.wait()
    assert not lock.locked
    qtbot.waitUntil(lambda: not window.findChildren(Cover), timeout=2_000)
    # exactly where they were
    assert dialog.isVisible()
    assert dialog.form.widgets["number"].text() == "5201020010019999"
    assert window.tabs.currentWidget() is view
    assert window.search_box.text() == row.head_name[:1]
    box.close()
    dialog.reject()


def test_input_keeps_the_app_unlocked(qtbot: Any, locked_window: MainWindow) -> None:
    window = locked_window
    lock = window.idle_lock
    assert lock is not None
    lock.set_idle_ms(400)
    for step in range(10):  # a second of steady work
        QTest.mouseMove(window.table.viewport(), QPoint(20 + step, 20))
        QTest.keyClick(window.search_box, Qt.Key.Key_Right)
        qtbot.wait(100)
        assert not lock.locked
    qtbot.waitUntil(lambda: lock.locked, timeout=5_000)
    lock.unlock()


def test_lock_now_from_the_menu(qtbot: Any, locked_window: MainWindow) -> None:
    window = locked_window
    window.lock_now_action.trigger()
    assert window.idle_lock is not None and window.idle_lock.locked
    assert QApplication.activeModalWidget() in (window.idle_lock.lock_window, None)
    window.idle_lock.unlock()
    assert not window.findChildren(Cover) or all(
        not c.isVisible() for c in window.findChildren(Cover)
    )


# ------------------------------------------------------------------ changing the passphrase
def test_change_passphrase(qtbot: Any, locked_window: MainWindow) -> None:
    window = locked_window
    path = window.ctx.db.path
    window.change_passphrase_action.trigger()
    dialog = window.findChild(ChangePassphraseDialog, "change_passphrase")
    assert dialog is not None and dialog.isVisible()
    database_before = digest(path)
    # the new one must be strong enough and typed twice the same
    dialog.old.setText(PASSPHRASE)
    dialog.new.setText("abc")
    dialog.again.setText("abc")
    dialog.submit()
    assert "太短" in dialog.message.text()
    dialog.new.setText(NEW_PASSPHRASE)
    dialog.again.setText(NEW_PASSPHRASE + "!")
    dialog.submit()
    assert "不一样" in dialog.message.text()
    # a wrong current passphrase changes nothing
    key_before = digest(key_file_path(path))
    dialog.old.setText("wrong-old-passphrase")
    dialog.again.setText(NEW_PASSPHRASE)
    dialog.submit()
    assert dialog.check.wait()
    assert "密码不对" in dialog.message.text()
    assert digest(key_file_path(path)) == key_before
    # the right one re-wraps the key; the data file is not rewritten
    dialog.old.setText(PASSPHRASE)
    dialog.submit()
    assert dialog.check.wait()
    assert dialog.changed and not dialog.isVisible()
    assert digest(path) == database_before
    vault.check_passphrase(path, NEW_PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        vault.check_passphrase(path, PASSPHRASE)
    assert "密码已修改" in window.statusBar().currentMessage()
    # the lock now opens with the new one only
    lock = window.idle_lock
    assert lock is not None
    lock.lock()
    assert lock.lock_window is not None
    lock.lock_window.field.setText(PASSPHRASE)
    lock.lock_window.button.click()
    assert lock.key_check.wait() and lock.locked
    lock.lock_window.field.setText(NEW_PASSPHRASE)
    lock.lock_window.button.click()
    assert lock.key_check.wait() and not lock.locked
    reopened: Database = open_database(path, passphrase=NEW_PASSPHRASE)
    reopened.close()


def test_the_idle_time_is_a_saved_setting(
    locked_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from desktop.core.preferences import load_preferences
    from desktop.ui.lock.hooks import idle_minutes

    assert idle_minutes() == 10  # the default
    lock = locked_window.idle_lock
    assert lock is not None and lock.idle_ms == 10 * 60_000
    asked: list[int] = []

    def answer(_parent: Any, _title: str, _label: str, value: int, *_a: Any) -> tuple[int, bool]:
        asked.append(value)
        return 3, True

    monkeypatch.setattr(QInputDialog, "getInt", answer)
    monkeypatch.setattr(QMessageBox, "information", lambda *_a: None)
    locked_window.idle_setting_action.trigger()
    assert asked == [10]
    assert load_preferences()["lock_idle_minutes"] == 3
    assert idle_minutes() == 3 and lock.idle_ms == 3 * 60_000
