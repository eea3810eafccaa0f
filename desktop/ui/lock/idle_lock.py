"""The idle lock: no keyboard or mouse input for a while, and the screen hides behind a lock.

Why covers and a separate lock window rather than closing anything: the cadre comes back to
exactly what was open — half-typed forms, open dialogs, the household tabs, their drafts —
because nothing is closed or re-created. Every visible window gets an opaque cover over its
content; the passphrase is asked in one application-modal window placed over the main window,
which stays usable even when a modal dialog was open at the moment of locking (the newest modal
window is the one Qt lets the keyboard reach). A window that appears while locked (a message
box from work that finished meanwhile) is covered too, and the lock window is raised above it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.core.i18n import _
from desktop.ui.lock.background import KeyCheck, error_text

DEFAULT_IDLE_MINUTES = 10
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


def bring_to_front(window: QWidget) -> None:
    if QGuiApplication.platformName() != "offscreen":  # it has no stacking to change
        window.raise_()
    window.activateWindow()


class Cover(QWidget):
    """An opaque sheet over one window's content while the app is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lock_cover")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#lock_cover { background: #37474f; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        label = QLabel(_("入户通已锁定"))
        label.setStyleSheet("color: #cfd8dc; font-size: 16px;")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(label)
        window.installEventFilter(self)
        self.setGeometry(window.rect())
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
        elif event.type() == QEvent.Type.ChildAdded:
            self.raise_()
        return False


class LockWindow(QWidget):
    """The lock screen: the cadre's name and a passphrase field, nothing of the data."""

    unlock_requested = Signal(str)

    def __init__(self, cadre: str) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("lock_window")
        self.setWindowTitle(_("入户通 — 已锁定"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#lock_window { background: #37474f; } QLabel { color: #eceff1; }"
            " #lock_message { color: #ffab91; }"
        )
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QWidget()
        box.setMinimumWidth(380)
        box.setMaximumWidth(460)
        column = QVBoxLayout(box)
        title = QLabel(_("入户通已锁定"))
        title.setStyleSheet("font-size: 15px; color: #b0bec5;")
        self.name = QLabel(cadre or _("干部"))
        self.name.setObjectName("lock_cadre")
        self.name.setStyleSheet("font-size: 26px; font-weight: bold;")
        hint = QLabel(_("请输入密码继续。打开的窗口和没保存的填写内容都还在。"))
        hint.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setObjectName("lock_passphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText(_("密码"))
        self.field.setMinimumHeight(32)
        self.field.returnPressed.connect(self._submit)
        self.button = QPushButton(_("解锁"))
        self.button.setObjectName("unlock_button")
        self.button.setMinimumHeight(32)
        self.button.clicked.connect(self._submit)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.button)
        self.message = QLabel()
        self.message.setObjectName("lock_message")
        self.message.setWordWrap(True)
        for widget in (title, self.name, hint):
            column.addWidget(widget)
        column.addSpacing(8)
        column.addLayout(row)
        column.addWidget(self.message)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(box)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(3)
        self.allow_close = False

    def _submit(self) -> None:
        if self.field.text():
            self.unlock_requested.emit(self.field.text())

    def set_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        if busy:
            self.message.setStyleSheet("color: #b0bec5;")
            self.message.setText(_("正在核对密码…"))

    def refuse(self, text: str) -> None:
        self.set_busy(False)
        self.message.setStyleSheet("color: #ffab91;")
        self.message.setText(text)
        self.field.selectAll()
        self.field.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() != Qt.Key.Key_Escape:  # Escape must not dismiss the lock
            super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.allow_close:
            event.accept()
        else:
            event.ignore()


def refusal(exc: BaseException) -> str:
    from desktop.core.crypto import WrongPassphrase

    if isinstance(exc, WrongPassphrase):
        return _("密码不对，请再试一次。")
    return error_text(exc)


class IdleLock(QObject):
    """Watches input application-wide; locks after ``idle_ms`` without any."""

    locked_changed = Signal(bool)

    def __init__(
        self,
        main_window: QWidget,
        check: Callable[[str], None],
        cadre: Callable[[], str],
        idle_ms: int = DEFAULT_IDLE_MINUTES * 60_000,
    ) -> None:
        super().__init__(main_window)
        self.main_window = main_window
        self.check_passphrase = check  # raises (a sentence) unless the passphrase is right
        self.cadre = cadre
        self.idle_ms = idle_ms
        self.locked = False
        self.lock_window: LockWindow | None = None
        self.covers: list[Cover] = []
        self._focus: QWidget | None = None
        self._active: QWidget | None = None
        self._last_input = time.monotonic()
        self.key_check = KeyCheck(self)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._due)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        self._schedule(self.idle_ms)

    # ------------------------------------------------------------------ watching input
    def set_idle_ms(self, idle_ms: int) -> None:
        self.idle_ms = max(1, idle_ms)
        if not self.locked:
            self._last_input = time.monotonic()
            self._schedule(self.idle_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in INPUT_EVENTS:
            self._last_input = time.monotonic()
        elif self.locked and kind == QEvent.Type.Show:
            self._cover_new_window(watched)
        return False

    def _schedule(self, ms: int) -> None:
        self.timer.start(max(1, ms))

    def _due(self) -> None:
        if self.locked:
            return
        idle = (time.monotonic() - self._last_input) * 1000
        if idle >= self.idle_ms:
            self.lock()
        else:
            self._schedule(int(self.idle_ms - idle) + 1)

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # ------------------------------------------------------------------ locking
    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        self.timer.stop()
        self._focus = QApplication.focusWidget()
        self._active = QApplication.activeWindow()
        popup = QApplication.activePopupWidget()
        while popup is not None:  # open menus and completers show data too
            popup.close()
            popup = QApplication.activePopupWidget()
        for window in QApplication.topLevelWidgets():
            if window.isVisible() and not isinstance(window, LockWindow):
                self.covers.append(Cover(window))
        self.lock_window = LockWindow(self.cadre())
        self.lock_window.unlock_requested.connect(self._try_unlock)
        self.lock_window.setGeometry(self.main_window.geometry())
        self.lock_window.show()
        bring_to_front(self.lock_window)
        self.lock_window.field.setFocus()
        self.locked_changed.emit(True)

    def _cover_new_window(self, watched: QObject) -> None:
        if (
            not isinstance(watched, QWidget)
            or not watched.isWindow()
            or isinstance(watched, LockWindow)
            or watched.windowType() in (Qt.WindowType.ToolTip, Qt.WindowType.Popup)
            or any(isValid(c) and c.parent() is watched for c in self.covers)
        ):
            return
        self.covers.append(Cover(watched))
        if self.lock_window is not None:
            # the newest modal window gets the keyboard: be it again
            QTimer.singleShot(0, self._raise_lock)

    def _raise_lock(self) -> None:
        if self.lock_window is not None:
            self.lock_window.hide()
            self.lock_window.show()
            bring_to_front(self.lock_window)
            self.lock_window.field.setFocus()

    def _try_unlock(self, passphrase: str) -> None:
        window = self.lock_window
        if window is None:
            return
        if self.key_check.run(
            lambda: self.check_passphrase(passphrase),
            lambda _r: self.unlock(),
            lambda exc: window.refuse(refusal(exc)),
        ):
            window.set_busy(True)

    def unlock(self) -> None:
        """Back to exactly where the cadre was: covers off, focus where it was."""
        if not self.locked:
            return
        if self.lock_window is not None:
            self.lock_window.allow_close = True
            self.lock_window.field.clear()
            self.lock_window.close()
            self.lock_window.deleteLater()
            self.lock_window = None
        for cover in self.covers:
            if isValid(cover):  # a window closed while locked took its cover with it
                cover.parent().removeEventFilter(cover)  # type: ignore[union-attr]
                cover.hide()
                cover.deleteLater()
        self.covers = []
        self.locked = False
        if self._active is not None and isValid(self._active):
            self._active.activateWindow()
        if self._focus is not None and isValid(self._focus):
            self._focus.setFocus()
        self._focus = self._active = None
        self._last_input = time.monotonic()
        self._schedule(self.idle_ms)
        self.locked_changed.emit(False)
