"""The main window's hook: 文件 → 修改密码 / 立即锁定 / 自动锁定时间, and the idle lock itself.

Only an encrypted database has a passphrase to lock with; a plain one (the county's copy, an
old file not yet encrypted) shows the items disabled, saying why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from desktop.core.i18n import _
from desktop.core.preferences import load_preferences, save_preference
from desktop.ui.lock import vault
from desktop.ui.lock.change_passphrase import ChangePassphraseDialog
from desktop.ui.lock.idle_lock import DEFAULT_IDLE_MINUTES, IdleLock

IDLE_PREFERENCE = "lock_idle_minutes"
MAX_IDLE_MINUTES = 240


def idle_minutes() -> int:
    value = load_preferences().get(IDLE_PREFERENCE, DEFAULT_IDLE_MINUTES)
    if isinstance(value, int) and 1 <= value <= MAX_IDLE_MINUTES:
        return value
    return DEFAULT_IDLE_MINUTES


def cadre_of(db: Any) -> str:
    with db.read() as conn:
        return str(
            conn.exec_driver_sql("SELECT cadre FROM device_state WHERE id = 1").scalar() or ""
        )


def add_lock_menu(window: Any) -> None:
    """Adds the items before 退出 and, for an encrypted database, starts the idle lock."""
    ctx = window.ctx
    db = ctx.db
    encrypted = db.encrypted
    file_menu = next(
        a.menu()
        for a in window.menuBar().actions()
        if isinstance(a.menu(), QMenu) and a.text() == _("文件")
    )
    window.change_passphrase_action = QAction(_("修改密码…"), window)
    window.change_passphrase_action.triggered.connect(lambda: open_change_passphrase(window))
    window.lock_now_action = QAction(_("立即锁定"), window)
    window.lock_now_action.setShortcut(QKeySequence("Ctrl+L"))
    window.idle_setting_action = QAction(_("自动锁定时间…"), window)
    window.idle_setting_action.triggered.connect(lambda: choose_idle_minutes(window))
    actions = (window.change_passphrase_action, window.lock_now_action, window.idle_setting_action)
    for action in actions:
        file_menu.insertAction(window.quit_action, action)
        action.setEnabled(encrypted)
        if not encrypted:
            action.setToolTip(_("这个数据库没有加密，不需要密码。"))
    file_menu.insertSeparator(window.quit_action)
    window.idle_lock = None
    if not encrypted:
        return
    cadre = {"name": ""}
    ctx.runner.submit(lambda: cadre_of(db), lambda name: cadre.update(name=name), key="cadre-name")
    lock = IdleLock(
        window,
        check=lambda passphrase: vault.check_passphrase(db.path, passphrase),
        cadre=lambda: cadre["name"],
        idle_ms=idle_minutes() * 60_000,
    )
    window.idle_lock = lock
    window.lock_now_action.triggered.connect(lock.lock)
    window.destroyed.connect(lambda *_a: lock.stop())


def open_change_passphrase(window: Any) -> ChangePassphraseDialog:
    dialog = ChangePassphraseDialog(window.ctx.db.path, window)
    dialog.accepted.connect(
        lambda: window.statusBar().showMessage(
            _("密码已修改。下次解锁和打开时请用新密码。"), 10_000
        )
    )
    dialog.show()
    return dialog


def choose_idle_minutes(window: Any) -> None:
    minutes, ok = QInputDialog.getInt(
        window,
        _("自动锁定时间"),
        _("多少分钟没有操作后自动锁定（1–{n}）：").format(n=MAX_IDLE_MINUTES),
        idle_minutes(),
        1,
        MAX_IDLE_MINUTES,
    )
    if ok:
        save_preference(IDLE_PREFERENCE, minutes)
        if window.idle_lock is not None:
            window.idle_lock.set_idle_ms(minutes * 60_000)
        QMessageBox.information(
            window, _("自动锁定时间"), _("已设为 {n} 分钟没有操作后自动锁定。").format(n=minutes)
        )
