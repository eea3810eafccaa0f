"""The first run's question pages: language, what to do, the details, the passphrase.

Nothing slow happens here: these pages only collect answers into the wizard's ``SetupState``.
Every page re-reads its texts in ``retranslate`` so choosing English shows English at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop.core import i18n
from desktop.core.i18n import _
from desktop.ui.lock.strength import LONG_ENOUGH, MIN_LENGTH, passphrase_problem

if TYPE_CHECKING:
    from desktop.ui.first_run.wizard import FirstRunWizard

ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: #2e7d32;"


class Page(QWizardPage):
    """A wizard page that can re-read its texts when the language changes."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self.wiz = wizard

    def retranslate(self) -> None:
        raise NotImplementedError


def note_label(object_name: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


# ------------------------------------------------------------------ language
class LanguagePage(Page):
    LANGUAGES = (("zh_CN", "简体中文"), ("en", "English"))

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for code, label in self.LANGUAGES:  # each language named in itself
            button = QRadioButton(label)
            button.setObjectName(f"language_{code}")
            button.setStyleSheet("font-size: 15px; padding: 6px;")
            self.group.addButton(button)
            self.buttons[code] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.buttons.get(i18n.current_language(), self.buttons["zh_CN"]).setChecked(True)
        for code, button in self.buttons.items():
            button.toggled.connect(lambda on, c=code: self.wiz.set_language(c) if on else None)

    def retranslate(self) -> None:
        self.setTitle(_("欢迎使用入户通"))
        self.setSubTitle(_("请选择界面语言。以后可以在“文件 → 界面语言”中更改。"))


# ------------------------------------------------------------------ what to do
class ModePage(Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.options: dict[str, tuple[QRadioButton, QLabel]] = {}
        for mode in ("stick", "online", "demo"):
            button = QRadioButton()
            button.setObjectName(f"mode_{mode}")
            button.setStyleSheet("font-weight: bold;")
            detail = note_label()
            detail.setIndent(24)
            detail.setStyleSheet("color: #555;")
            self.group.addButton(button)
            self.options[mode] = (button, detail)
            layout.addWidget(button)
            layout.addWidget(detail)
            layout.addSpacing(8)
            button.toggled.connect(lambda on, m=mode: self._choose(m) if on else None)
        layout.addStretch(1)
        self.options[wizard.state.mode][0].setChecked(True)

    def _choose(self, mode: str) -> None:
        self.wiz.state.mode = mode

    def retranslate(self) -> None:
        self.setTitle(_("这台电脑怎么用？"))
        self.setSubTitle(_("登记后，县里签发的证书写明您负责哪些村，不用自己选。"))
        texts = {
            "stick": (
                _("用 U 盘登记本机"),
                _("本机生成登记申请写到 U 盘上，交给县里；县里签发证书后放回 U 盘，再装到本机。"),
            ),
            "online": (
                _("通过网络登记本机"),
                _("能连上县服务器时使用：填写服务器地址和县里给的登记口令。"),
            ),
            "demo": (
                _("先试用示范县"),
                _("生成一个虚构的示范县（约需一分钟），不登记、不同步，可以随便练习。"),
            ),
        }
        for mode, (button, detail) in self.options.items():
            button.setText(texts[mode][0])
            detail.setText(texts[mode][1])


# ------------------------------------------------------------------ enrollment details
class StickPage(Page):
    """Who uses this laptop, and the stick the request goes onto."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.cadre_edit = QLineEdit(wizard.state.cadre)
        self.cadre_edit.setObjectName("cadre_name")
        self.stick_edit = QLineEdit(wizard.state.stick)
        self.stick_edit.setObjectName("stick_folder")
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.stick_edit, 1)
        row_layout.addWidget(self.browse)
        self.cadre_label, self.stick_label = QLabel(), QLabel()
        form.addRow(self.cadre_label, self.cadre_edit)
        form.addRow(self.stick_label, row)
        layout.addLayout(form)
        self.problem = note_label("stick_problem")
        self.problem.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.cadre_edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.stick_edit.textChanged.connect(lambda _t: self.completeChanged.emit())

    def retranslate(self) -> None:
        self.setTitle(_("用 U 盘登记本机"))
        self.setSubTitle(_("登记申请里只有本机的公钥和您的姓名，不含任何农户数据。"))
        self.cadre_label.setText(_("干部姓名"))
        self.stick_label.setText(_("U 盘"))
        self.cadre_edit.setPlaceholderText(_("使用这台电脑的干部姓名"))
        self.stick_edit.setPlaceholderText(_("U 盘（或文件夹）的位置"))
        self.browse.setText(_("选择…"))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("选择 U 盘"), self.stick_edit.text())
        if folder:
            self.stick_edit.setText(folder)

    def isComplete(self) -> bool:
        return bool(self.cadre_edit.text().strip() and self.stick_edit.text().strip())

    def validatePage(self) -> bool:
        stick = Path(self.stick_edit.text().strip()).expanduser()
        if not stick.is_dir():
            self.problem.setText(_("找不到 U 盘或文件夹 {path}。").format(path=stick))
            return False
        self.problem.clear()
        self.wiz.state.cadre = self.cadre_edit.text().strip()
        self.wiz.state.stick = str(stick)
        return True


class OnlinePage(Page):
    """The county server and the enrollment code the county issued to this cadre (the code
    says which villages: the cadre chooses none)."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.cadre_edit = QLineEdit(wizard.state.cadre)
        self.cadre_edit.setObjectName("online_cadre")
        self.server_edit = QLineEdit(wizard.state.server)
        self.server_edit.setObjectName("server_url")
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("enroll_code")
        self.labels = [QLabel() for _i in range(3)]
        for label, edit in zip(
            self.labels, (self.cadre_edit, self.server_edit, self.code_edit), strict=True
        ):
            form.addRow(label, edit)
            edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        layout.addLayout(form)
        self.hint = note_label()
        self.hint.setStyleSheet("color: #555;")
        layout.addWidget(self.hint)
        layout.addStretch(1)

    def retranslate(self) -> None:
        self.setTitle(_("通过网络登记本机"))
        self.setSubTitle(_("县服务器核对登记口令后签发证书，证书写明本机可以编辑的村。"))
        for label, text in zip(
            self.labels,
            (_("干部姓名"), _("县服务器地址"), _("登记口令")),
            strict=True,
        ):
            label.setText(text)
        self.cadre_edit.setPlaceholderText(_("使用这台电脑的干部姓名"))
        self.server_edit.setPlaceholderText(_("如 http://县里:8700"))
        self.code_edit.setPlaceholderText(_("县里发给您的登记口令，如 K7QM-3XRT-9HCA"))
        self.hint.setText(
            _("服务器地址和登记口令由县里告知；口令写明了您负责的村，县服务器核对后签发证书。")
        )

    def isComplete(self) -> bool:
        return bool(
            self.cadre_edit.text().strip()
            and self.server_edit.text().strip()
            and self.code_edit.text().strip()
        )

    def validatePage(self) -> bool:
        state = self.wiz.state
        state.cadre = self.cadre_edit.text().strip()
        state.server = self.server_edit.text().strip()
        self.wiz.enroll_code = self.code_edit.text().strip()
        return True


# ------------------------------------------------------------------ passphrase
class PassphrasePage(Page):
    """The passphrase that keys this laptop's database; asked before anything is written, so
    no household's data ever lies on the disk unencrypted."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.rule = note_label()
        layout.addWidget(self.rule)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setObjectName("passphrase")
        self.again = QLineEdit()
        self.again.setObjectName("passphrase_again")
        for edit in (self.first, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(self._check)
        self.first_label, self.again_label = QLabel(), QLabel()
        form.addRow(self.first_label, self.first)
        form.addRow(self.again_label, self.again)
        layout.addLayout(form)
        self.problem = note_label("passphrase_problem")
        layout.addWidget(self.problem)
        self.warning = note_label()
        self.warning.setStyleSheet("color: #b26a00;")
        layout.addWidget(self.warning)
        layout.addStretch(1)

    def retranslate(self) -> None:
        self.setTitle(_("设置密码"))
        self.setSubTitle(_("本机的数据用这个密码加密。打开入户通、离开一会儿后回来，都要输入它。"))
        self.rule.setText(
            _(
                "至少 {n} 个字符，包含字母、数字、汉字或符号中的至少两种（{m} 个字符以上的不限）。"
            ).format(n=MIN_LENGTH, m=LONG_ENOUGH)
        )
        self.first_label.setText(_("密码"))
        self.again_label.setText(_("再输入一次"))
        self.warning.setText(
            _("请记住这个密码：忘记了，本机上的数据就打不开，只能重新登记并从县里下载。")
        )
        self._check()

    def problem_text(self) -> str | None:
        return passphrase_problem(self.first.text(), self.again.text())

    def _check(self) -> None:
        first, again = self.first.text(), self.again.text()
        # The mismatch is only worth saying once something was typed in the second field.
        problem = passphrase_problem(first, again if again else None)
        if not first:
            self.problem.clear()
        elif problem:
            self.problem.setText(problem)
            self.problem.setStyleSheet(ERROR_STYLE)
        elif again:
            self.problem.setText(_("密码可以使用。"))
            self.problem.setStyleSheet(OK_STYLE)
        else:
            self.problem.setText(_("请再输入一次密码。"))
            self.problem.setStyleSheet("")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.problem_text() is None

    def passphrase(self) -> str:
        return self.first.text()
