"""The first run's working pages: make the database, enroll, fetch the villages' data, resume.

Each step runs on the worker (``desktop.ui.first_run.steps``) with a progress bar, and its
error is shown on the page as the sentence the step raised, with the way to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from desktop.core.i18n import _
from desktop.sync import keys as keyring
from desktop.ui.first_run import steps
from desktop.ui.first_run.pages_choice import ERROR_STYLE, OK_STYLE, Page, note_label
from desktop.ui.tasks import Task, TaskContext, describe_error

if TYPE_CHECKING:
    from desktop.ui.first_run.wizard import FirstRunWizard


class TaskPage(Page):
    """A page that runs one step on the worker and shows its progress, outcome or error."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.layout_ = QVBoxLayout(self)
        self.intro = note_label()
        self.layout_.addWidget(self.intro)
        self.body = QVBoxLayout()
        self.layout_.addLayout(self.body)
        self.bar = QProgressBar()
        self.bar.setObjectName("progress")
        self.bar.hide()
        self.status = note_label("status")
        self.layout_.addWidget(self.bar)
        self.layout_.addWidget(self.status)
        self.layout_.addStretch(1)
        self.task: Task | None = None
        self.completed = False

    def run(
        self,
        work: Callable[[TaskContext], Any],
        done: Callable[[Any], None],
        busy_text: str,
    ) -> None:
        self.completed = False
        self.completeChanged.emit()
        self.say(busy_text)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.set_busy(True)

        def progress(count: int, total: int, text: str) -> None:
            self.bar.setRange(0, max(total, 1))
            self.bar.setValue(count)
            if text:
                self.status.setText(text)

        def finished(result: Any) -> None:
            self.task = None
            self.bar.hide()
            self.set_busy(False)
            done(result)

        def failed(exc: BaseException) -> None:
            self.task = None
            self.bar.hide()
            self.set_busy(False)
            self.say(describe_error(exc), ERROR_STYLE)

        self.task = self.wiz.runner.submit(
            work, finished, failed, on_progress=progress, wants_context=True
        )

    def set_busy(self, busy: bool) -> None:
        """Buttons on the page that must not start a second step meanwhile."""

    def say(self, text: str, style: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(style)

    def succeed(self, text: str) -> None:
        self.say(text, OK_STYLE)
        self.completed = True
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.completed and self.task is None


def stick_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


# ------------------------------------------------------------------ create + enroll / demo
class WorkPage(TaskPage):
    """Creates the encrypted database and, by mode, writes the request, enrolls online or
    generates the demo. A commit page: once done, the wizard does not go back past it."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setCommitPage(True)
        self.retry = QPushButton()
        self.retry.setObjectName("retry")
        self.retry.clicked.connect(self.start)
        self.retry.hide()
        self.body.addWidget(self.retry)

    def retranslate(self) -> None:
        mode = self.wiz.state.mode
        self.setTitle(
            {
                "stick": _("生成登记申请"),
                "online": _("在线登记"),
                "demo": _("生成示范县"),
            }[mode]
        )
        self.setSubTitle(_("这一步在后台进行，请稍候。"))
        self.intro.setText(
            {
                "stick": _("正在建立本机的加密数据库和密钥，并把登记申请写到 U 盘上。"),
                "online": _("正在建立本机的加密数据库和密钥，并向县服务器申请登记证书。"),
                "demo": _("正在生成示范县。可以随时取消，取消后不会留下半成品。"),
            }[mode]
        )
        self.retry.setText(_("重试"))

    def initializePage(self) -> None:
        self.retranslate()
        self.retry.hide()
        self.intro.show()
        self.start()

    def set_busy(self, busy: bool) -> None:
        self.retry.setVisible(not busy)

    def succeed(self, text: str) -> None:
        """Done: no retry, and no way back (going back would make a second database and a
        second request for the same laptop)."""
        self.retry.hide()
        self.intro.hide()  # it said what was being done; the status now says what was done
        self.setSubTitle(_("已完成。"))
        super().succeed(text)
        self.wiz.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def start(self) -> None:
        wizard, state = self.wiz, self.wiz.state
        passphrase = wizard.passphrase()
        wizard.close_database()
        if state.mode == "demo":
            state.database = str(wizard.demo_path)
            households, seed = wizard.demo_households, wizard.demo_seed

            def demo(context: TaskContext) -> Any:
                return steps.build_demo(
                    state, passphrase, households, seed, context.progress, lambda: context.cancelled
                )

            self.run(demo, self._demo_done, _("正在生成示范县…"))
            return
        state.database = str(wizard.path)
        state.stage = "start"
        if state.mode == "stick":

            def request(_context: TaskContext) -> Any:
                db = steps.create_database(state, passphrase)
                try:
                    return db, steps.write_request(db, state)
                except BaseException:
                    db.close()
                    raise

            self.run(request, self._request_done, _("正在生成密钥和登记申请…"))
        else:
            code = wizard.enroll_code

            def enroll(_context: TaskContext) -> Any:
                db = steps.create_database(state, passphrase)
                try:
                    return db, steps.enroll_online(db, state, code)
                except BaseException:
                    db.close()
                    raise

            self.run(enroll, self._enrolled, _("正在连接县服务器…"))

    def _demo_done(self, db: Any) -> None:
        self.wiz.db = db
        self.succeed(_("示范县已生成。点“完成”打开入户通。"))

    def _request_done(self, result: tuple[Any, Path]) -> None:
        self.wiz.db, path = result
        self.succeed(
            _("登记申请已写到 U 盘：{path}。请把 U 盘交给县里办理登记。").format(path=path)
        )

    def _enrolled(self, result: tuple[Any, dict[str, Any]]) -> None:
        self.wiz.db, cert = result
        self.succeed(self.wiz.certificate_text(cert))


# ------------------------------------------------------------------ certificate
class CertificatePage(TaskPage):
    """Waits for the county's certificate: found on the stick, or chosen as a file."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setCommitPage(True)  # once installed, the certificate is this laptop's
        self.device = note_label("device_id")
        self.body.addWidget(self.device)
        self.stick_edit = QLineEdit()
        self.stick_edit.setObjectName("certificate_stick")
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse_stick)
        self.body.addWidget(stick_row(self.stick_edit, self.browse))
        buttons = QHBoxLayout()
        self.find_button = QPushButton()
        self.find_button.setObjectName("find_certificate")
        self.find_button.clicked.connect(self.find_on_stick)
        self.file_button = QPushButton()
        self.file_button.setObjectName("choose_certificate")
        self.file_button.clicked.connect(self._choose_file)
        buttons.addWidget(self.find_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)
        self.later = note_label()
        self.later.setStyleSheet("color: #555;")
        self.body.addWidget(self.later)

    def retranslate(self) -> None:
        self.setTitle(_("安装县里的登记证书"))
        self.setSubTitle(_("县里签发的证书写明您负责的村。"))
        self.intro.setText(
            _(
                "县里用“doorstep-county enroll”为本机签发证书后，把证书放回 U 盘。"
                "插上 U 盘后点“在 U 盘上查找证书”，或者直接选择证书文件。"
            )
        )
        self.browse.setText(_("选择…"))
        self.find_button.setText(_("在 U 盘上查找证书"))
        self.file_button.setText(_("选择证书文件…"))
        self.later.setText(
            _("证书可能要过几天才拿到：现在可以关闭入户通，以后再打开时会从这里继续。")
        )
        if self.wiz.db is not None:
            self.device.setText(_("本机设备编号：{id}").format(id=self.wiz.db.device_id))

    def initializePage(self) -> None:
        self.stick_edit.setText(self.wiz.state.stick)
        self.retranslate()
        if self.wiz.db is not None and self.wiz.state.stick:
            self.find_on_stick(quiet=True)

    def set_busy(self, busy: bool) -> None:
        for widget in (self.find_button, self.file_button):
            widget.setEnabled(not busy and not self.completed)

    def succeed(self, text: str) -> None:
        super().succeed(text)
        for widget in (self.find_button, self.file_button, self.stick_edit, self.browse):
            widget.setEnabled(False)

    def _browse_stick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("选择 U 盘"), self.stick_edit.text())
        if folder:
            self.stick_edit.setText(folder)

    def _choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("选择登记证书"), self.stick_edit.text(), _("登记证书 (*.json);;所有文件 (*)")
        )
        if name:
            self.install(Path(name))

    def find_on_stick(self, quiet: bool = False) -> None:
        db, stick = self.wiz.db, Path(self.stick_edit.text().strip()).expanduser()
        assert db is not None
        self.wiz.state.stick = str(stick)

        def work(_context: TaskContext) -> Any:
            found = steps.find_certificate(db, stick)
            return None if found is None else steps.accept_certificate(db, self.wiz.state, found)

        def done(cert: dict[str, Any] | None) -> None:
            if cert is None:
                self.say(
                    "" if quiet else _("{path} 上还没有本机的登记证书。").format(path=stick),
                    ERROR_STYLE,
                )
            else:
                self.succeed(self.wiz.certificate_text(cert))

        self.run(work, done, _("正在查找证书…"))

    def install(self, path: Path) -> None:
        db = self.wiz.db
        assert db is not None
        self.run(
            lambda _c: steps.accept_certificate(db, self.wiz.state, path),
            lambda cert: self.succeed(self.wiz.certificate_text(cert)),
            _("正在核对证书…"),
        )


# ------------------------------------------------------------------ the villages' data
class DataPage(TaskPage):
    """The first down-bundle: the villages' households, from the stick or the server."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.stick_edit = QLineEdit()
        self.stick_edit.setObjectName("data_stick")
        self.browse = QPushButton()
        self.browse.clicked.connect(self._browse_stick)
        self.stick_row = stick_row(self.stick_edit, self.browse)
        self.body.addWidget(self.stick_row)
        buttons = QHBoxLayout()
        self.fetch = QPushButton()
        self.fetch.setObjectName("fetch_data")
        self.fetch.clicked.connect(self.start)
        self.skip = QPushButton()
        self.skip.setObjectName("skip_data")
        self.skip.clicked.connect(self._skip)
        buttons.addWidget(self.fetch)
        buttons.addWidget(self.skip)
        buttons.addStretch(1)
        self.body.addLayout(buttons)

    def retranslate(self) -> None:
        online = self.wiz.state.mode == "online"
        self.setTitle(_("导入本村数据"))
        self.setSubTitle(_("县里发给本机的第一个数据包里有您负责的村的全部农户。"))
        self.intro.setText(
            _("从县服务器下载本机负责的村的数据。")
            if online
            else _("县里导出数据后，U 盘上会有“Doorstep/inbox/本机编号”文件夹，从那里导入。")
        )
        self.browse.setText(_("选择…"))
        self.fetch.setText(_("下载数据") if online else _("从 U 盘导入"))
        self.skip.setText(_("以后再导入"))

    def initializePage(self) -> None:
        self.stick_edit.setText(self.wiz.state.stick)
        self.stick_row.setVisible(self.wiz.state.mode != "online")
        self.retranslate()
        self.completed = False
        self.start()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.fetch, self.skip, self.stick_edit, self.browse):
            widget.setEnabled(not busy)

    def succeed(self, text: str) -> None:
        super().succeed(text)
        for widget in (self.fetch, self.skip, self.stick_edit, self.browse):
            widget.setEnabled(False)  # done: "完成" is the one thing left to press

    def _browse_stick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("选择 U 盘"), self.stick_edit.text())
        if folder:
            self.stick_edit.setText(folder)

    def start(self) -> None:
        db, state = self.wiz.db, self.wiz.state
        assert db is not None
        if state.mode == "online":
            server = state.server
            self.run(
                lambda c: steps.download_online(db, server, c.progress),
                self._done,
                _("正在连接县服务器…"),
            )
            return
        stick = Path(self.stick_edit.text().strip()).expanduser()
        state.stick = str(stick)
        self.run(
            lambda c: steps.import_from_stick(db, stick, c.progress),
            self._done,
            _("正在导入…"),
        )

    def _done(self, summary: steps.ImportSummary) -> None:
        self.succeed(
            _("已导入 {bundles} 个数据包，本机现在有 {households} 户。点“完成”开始使用。").format(
                bundles=summary.bundles, households=summary.households
            )
        )

    def _skip(self) -> None:
        self.succeed(_("可以以后在“同步”窗口中导入县里发来的数据。点“完成”开始使用。"))


# ------------------------------------------------------------------ resuming
class ResumePage(TaskPage):
    """Setup stopped after the database was made: the passphrase opens it to go on."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setCommitPage(True)  # the database is open: no going back to open it twice
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setObjectName("resume_passphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.returnPressed.connect(self.open_database)
        self.open_button = QPushButton()
        self.open_button.setObjectName("resume_open")
        self.open_button.clicked.connect(self.open_database)
        row = QHBoxLayout()
        self.label = QLabel()
        row.addWidget(self.label)
        row.addWidget(self.passphrase_edit, 1)
        row.addWidget(self.open_button)
        self.body.addLayout(row)

    def retranslate(self) -> None:
        self.setTitle(_("继续设置这台电脑"))
        self.setSubTitle(_("上次设置到一半。"))
        self.intro.setText(
            _("本机已经建立了加密数据库（干部：{cadre}）。请输入当时设置的密码继续。").format(
                cadre=self.wiz.state.cadre or "—"
            )
        )
        self.label.setText(_("密码"))
        self.open_button.setText(_("继续"))

    def set_busy(self, busy: bool) -> None:
        self.open_button.setEnabled(not busy)
        self.passphrase_edit.setEnabled(not busy)

    def open_database(self) -> None:
        path, passphrase = self.wiz.path, self.passphrase_edit.text()
        if not passphrase or self.task is not None:
            return

        def work(_context: TaskContext) -> Any:
            from desktop.ui.lock.vault import open_with_passphrase

            db = open_with_passphrase(path, passphrase)
            try:
                return db, keyring.certificate(db)
            except BaseException:
                db.close()
                raise

        def done(result: tuple[Any, dict[str, Any] | None]) -> None:
            self.wiz.db, cert = result
            if cert is not None:
                self.wiz.state.stage = "enrolled"
            self.passphrase_edit.clear()
            self.succeed(_("已打开。"))
            self.wiz.next()

        self.run(work, done, _("正在核对密码…"))
