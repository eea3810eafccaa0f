"""At start: the passphrase that opens an encrypted database.

A wrong passphrase says so in one sentence and lets the cadre try again; nothing on disk is
touched by a failed attempt (the crypto layer only reads the key file until the key is proven).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.database import Database, open_database
from desktop.core.db import DatabaseError
from desktop.core.i18n import _
from desktop.ui.lock import vault
from desktop.ui.lock.background import KeyCheck, error_text


class UnlockDialog(QDialog):
    """Asks for the passphrase and opens the database on a background thread."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlock_dialog")
        self.path = path
        self.db: Database | None = None
        self.check = KeyCheck(self)
        self.setWindowTitle(_("入户通 — 输入密码"))
        layout = QVBoxLayout(self)
        title = QLabel(_("入户通"))
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        layout.addWidget(title)
        intro = QLabel(
            _("本机的数据已加密。请输入您的密码打开数据库 {name}。").format(name=path.name)
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.field = QLineEdit()
        self.field.setObjectName("unlock_passphrase")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText(_("密码"))
        layout.addWidget(self.field)
        self.message = QLabel()
        self.message.setObjectName("unlock_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.open_button = self.buttons.addButton(_("打开"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(_("退出"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_open)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def try_open(self) -> None:
        passphrase = self.field.text()
        if not passphrase:
            self.message.setText(_("请输入密码。"))
            return
        path = self.path
        if self.check.run(
            lambda: vault.open_with_passphrase(path, passphrase), self._opened, self._failed
        ):
            self.message.setStyleSheet("color: #555;")
            self.message.setText(_("正在核对密码…"))
            self.open_button.setEnabled(False)

    def _opened(self, db: Database) -> None:
        self.db = db
        self.field.clear()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.open_button.setEnabled(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.setText(error_text(exc))
        self.field.selectAll()
        self.field.setFocus()

    def reject(self) -> None:
        self.check.wait()
        if self.db is None:
            super().reject()


def open_at_start(path: Path, parent: QWidget | None = None) -> Database | None:
    """The database the app works on: plain files open at once, encrypted ones after the
    passphrase; None when the cadre gave up or the file cannot be opened (already said)."""
    try:
        if vault.is_encrypted(path):
            dialog = UnlockDialog(path, parent)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.db
        return open_database(path)
    except DatabaseError as exc:
        QMessageBox.critical(parent, _("入户通"), str(exc))
        return None
