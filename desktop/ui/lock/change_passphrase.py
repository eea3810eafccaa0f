"""文件 → 修改密码: the old passphrase, the new one twice; the key is re-wrapped on a thread.

Only the small key file changes (the data key stays, so no data is rewritten); the crypto layer
writes it atomically, so a power cut leaves either the old passphrase or the new one working.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.ui.lock import vault
from desktop.ui.lock.background import KeyCheck, error_text
from desktop.ui.lock.strength import LONG_ENOUGH, MIN_LENGTH, passphrase_problem


class ChangePassphraseDialog(QDialog):
    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("change_passphrase")
        self.db_path = db_path
        self.check = KeyCheck(self)
        self.changed = False
        self.setWindowTitle(_("修改密码"))
        layout = QVBoxLayout(self)
        rule = QLabel(
            _(
                "新密码至少 {n} 个字符，包含字母、数字、汉字或符号中的至少两种"
                "（{m} 个字符以上的不限）。"
            ).format(n=MIN_LENGTH, m=LONG_ENOUGH)
        )
        rule.setWordWrap(True)
        layout.addWidget(rule)
        form = QFormLayout()
        self.old = QLineEdit()
        self.old.setObjectName("old_passphrase")
        self.new = QLineEdit()
        self.new.setObjectName("new_passphrase")
        self.again = QLineEdit()
        self.again.setObjectName("new_passphrase_again")
        for edit in (self.old, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("现在的密码"), self.old)
        form.addRow(_("新密码"), self.new)
        form.addRow(_("再输入一次新密码"), self.again)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("change_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(_("修改"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(_("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def _say(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")

    def submit(self) -> None:
        old, new = self.old.text(), self.new.text()
        if not old:
            self._say(_("请输入现在的密码。"), "#c62828")
            return
        problem = passphrase_problem(new, self.again.text())
        if problem is None and new == old:
            problem = _("新密码和现在的密码一样。")
        if problem is not None:
            self._say(problem, "#c62828")
            return
        path = self.db_path
        if self.check.run(
            lambda: vault.change_passphrase(path, old, new), self._done, self._failed
        ):
            self.ok.setEnabled(False)
            self._say(_("正在修改密码…"), "#555")

    def _done(self, _result: object) -> None:
        self.changed = True
        for edit in (self.old, self.new, self.again):
            edit.clear()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self._say(error_text(exc), "#c62828")
        self.old.selectAll()
        self.old.setFocus()

    def reject(self) -> None:
        self.check.wait()
        super().reject()
