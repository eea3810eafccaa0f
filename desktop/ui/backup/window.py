"""The 备份与恢复 window: back up now, back up to a stick or folder, restore, list the backups.

Backups run on the backup worker (they read the database through their own connection and can
take many seconds on a large county: the cadre keeps working meanwhile); a restore runs through
``restore_fn`` on the app's worker, where nothing else can use the database at the same time.
Opened with a damage report (start-up check), it says so in red and offers only restoring.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.backup import (
    BackupEntry,
    IntegrityReport,
    OtherDevice,
    PassphraseNeeded,
    list_backups,
    store,
    take_backup,
)
from desktop.core.backup.container import read_manifest
from desktop.core.crypto.keys import WrongPassphrase
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ui.tasks import TaskContext, TaskRunner, describe_error

#: restore_fn(backup, allow_other_device, passphrase, progress) -> RestoreResult, run on a worker.
RestoreFn = Callable[[Path, bool, str | None, Callable[[int, int, str], None]], Any]
PATH_ROLE = Qt.ItemDataRole.UserRole


class BackupWindow(QDialog):
    restored = Signal(object)  # RestoreResult
    backed_up = Signal(object)  # BackupResult

    def __init__(
        self,
        *,
        restore_runner: TaskRunner,
        backup_runner: TaskRunner,
        restore_fn: RestoreFn,
        db: Database | None,
        device_id: str | None,
        folder: Path | None = None,
        damaged: IntegrityReport | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("backup_window")
        self.setWindowTitle(_("备份与恢复"))
        self.resize(820, 520)
        self.restore_runner, self.backup_runner = restore_runner, backup_runner
        self.restore_fn, self.db, self.device_id = restore_fn, db, device_id
        self.folder = folder or store.default_folder()
        self.damaged = damaged
        self.busy = False
        # Replaced by tests: they must never block on a modal dialog.
        self.ask_yes_no: Callable[[str, str], bool] = self._ask_yes_no
        self.choose_folder: Callable[[], Path | None] = self._choose_folder
        self.choose_file: Callable[[], Path | None] = self._choose_file
        self.ask_passphrase: Callable[[], str | None] = self._ask_passphrase
        self._build()
        self._update_buttons()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setObjectName("damaged_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "color: #b71c1c; background: #ffebee; padding: 8px; border: 1px solid #ef9a9a;"
        )
        if self.damaged is not None:
            self.banner.setText(
                _(
                    "数据库已损坏（{problem}）。继续使用可能丢失数据。请从下面选一份备份恢复；"
                    "恢复前的数据库会另存一份，不会删除。"
                ).format(problem=self.damaged.summary())
            )
        self.banner.setVisible(self.damaged is not None)
        layout.addWidget(self.banner)
        intro = QLabel(
            _(
                "每天第一次打开入户通时自动备份一次，保存在 {folder}。备份已加密，写入后会读回核对。"
            ).format(folder=self.folder)
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)
        keep = QHBoxLayout()
        keep.addWidget(QLabel(_("每日备份保留天数：")))
        self.keep_days = QSpinBox()
        self.keep_days.setObjectName("keep_days")
        self.keep_days.setRange(1, 365)
        self.keep_days.setValue(store.keep_days())
        self.keep_days.setSuffix(_(" 天"))
        self.keep_days.valueChanged.connect(store.set_keep_days)
        keep.addWidget(self.keep_days)
        keep.addStretch(1)
        layout.addLayout(keep)

        self.table = QTableWidget(0, 5)
        self.table.setObjectName("backup_table")
        self.table.setHorizontalHeaderLabels(
            [_("备份时间"), _("类型"), _("户数"), _("大小"), _("文件")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.restore_selected())
        layout.addWidget(self.table, 1)

        self.progress = QProgressBar()
        self.progress.setObjectName("backup_progress")
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("backup_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)

        buttons = QHBoxLayout()
        self.backup_now_button = QPushButton(_("立即备份"))
        self.backup_to_button = QPushButton(_("备份到 U 盘或文件夹…"))
        self.restore_button = QPushButton(_("从所选备份恢复…"))
        self.restore_file_button = QPushButton(_("从其他备份文件恢复…"))
        close = QPushButton(_("关闭"))
        self.backup_now_button.clicked.connect(lambda: self.backup_into(self.folder))
        self.backup_to_button.clicked.connect(self.backup_to_chosen)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button.clicked.connect(self.restore_chosen_file)
        close.clicked.connect(self.reject)
        for button in (
            self.backup_now_button,
            self.backup_to_button,
            self.restore_button,
            self.restore_file_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def _update_buttons(self) -> None:
        can_back_up = self.db is not None and self.damaged is None and not self.busy
        self.backup_now_button.setEnabled(can_back_up)
        self.backup_to_button.setEnabled(can_back_up)
        self.restore_button.setEnabled(not self.busy and self.selected_backup() is not None)
        self.restore_file_button.setEnabled(not self.busy)

    # ------------------------------------------------------------------ listing
    def load(self) -> None:
        """List the backups (this laptop's, when its device id can be read) on the worker."""
        folder, device, db = self.folder, self.device_id, self.db
        damaged = self.damaged is not None

        def work() -> list[BackupEntry]:
            owner = device
            if owner is None and db is not None and not damaged:
                owner = db.device_id
            return list_backups(folder, owner)

        self.backup_runner.submit(work, self._show, key="backup-list")

    def _show(self, entries: list[BackupEntry]) -> None:
        self.table.setRowCount(0)
        for entry in entries:
            row = self.table.rowCount()
            self.table.insertRow(row)
            manifest = entry.manifest
            if manifest is None:
                cells = ["", "", "", "", f"{entry.path.name}：{entry.problem}"]
            else:
                cells = [
                    manifest.created.strftime("%Y-%m-%d %H:%M"),
                    _("每日") if manifest.kind == "daily" else _("手动"),
                    str(manifest.households),
                    f"{manifest.payload_size / 1e6:.1f} MB",
                    entry.path.name,
                ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(PATH_ROLE, str(entry.path) if manifest else None)
                self.table.setItem(row, column, item)
        if entries and entries[0].manifest is not None:
            self.table.selectRow(0)
        elif not entries:
            self.status.setText(_("{folder} 里还没有本机的备份。").format(folder=self.folder))
        self._update_buttons()

    def selected_backup(self) -> Path | None:
        items = self.table.selectedItems()
        value = items[0].data(PATH_ROLE) if items else None
        return Path(value) if value else None

    # ------------------------------------------------------------------ backing up
    def backup_to_chosen(self) -> None:
        folder = self.choose_folder()
        if folder is not None:
            self.backup_into(folder)

    def backup_into(self, folder: Path) -> None:
        db = self.db
        if db is None or self.busy:
            return

        def work(context: TaskContext) -> Any:
            return take_backup(db, folder, "manual", context.progress, lambda: context.cancelled)

        self._start(_("正在备份…"))
        self.backup_runner.submit(
            work,
            self._backed_up,
            self._failed,
            on_progress=self._progress,
            wants_context=True,
        )

    def _backed_up(self, result: Any) -> None:
        self._stop()
        self.status.setText(
            _("已备份到 {path}（{households} 户），已读回核对无误。").format(
                path=result.path, households=result.manifest.households
            )
        )
        self.backed_up.emit(result)
        if result.path.parent == self.folder:
            self.load()

    # ------------------------------------------------------------------ restoring
    def restore_selected(self) -> None:
        backup = self.selected_backup()
        if backup is not None:
            self.restore(backup)

    def restore_chosen_file(self) -> None:
        backup = self.choose_file()
        if backup is not None:
            self.restore(backup)

    def restore(
        self, backup: Path, allow_other: bool = False, passphrase: str | None = None
    ) -> None:
        """Ask first (the backup's date and size, read on the worker: it may be on a stick),
        then restore on the restore worker."""
        if self.busy:
            return
        if allow_other or passphrase is not None:  # a retry of a restore already agreed to
            self._run_restore(backup, allow_other, passphrase)
            return
        self.backup_runner.submit(
            lambda: read_manifest(backup),
            lambda manifest: self._confirm_restore(backup, manifest),
            lambda exc: self._failed(exc),
            key="backup-manifest",
        )

    def _confirm_restore(self, backup: Path, manifest: Any) -> None:
        question = _(
            "用 {when} 的备份（{households} 户）替换现在的数据库吗？之后的修改会丢失"
            "（恢复前的数据库另存一份）。"
        ).format(when=manifest.created.strftime("%Y-%m-%d %H:%M"), households=manifest.households)
        if self.ask_yes_no(_("从备份恢复"), question):
            self._run_restore(backup, False, None)

    def _run_restore(self, backup: Path, allow_other: bool, passphrase: str | None) -> None:
        restore_fn = self.restore_fn

        def work(context: TaskContext) -> Any:
            return restore_fn(backup, allow_other, passphrase, context.progress)

        self._start(_("正在恢复…"))
        self.restore_runner.submit(
            work,
            self._restored,
            lambda exc: self._restore_failed(exc, backup, allow_other, passphrase),
            on_progress=self._progress,
            wants_context=True,
        )

    def _restore_failed(
        self, exc: BaseException, backup: Path, allow_other: bool, passphrase: str | None
    ) -> None:
        self._stop()
        if isinstance(exc, OtherDevice) and not allow_other:
            question = _(
                "这个备份来自另一台电脑。只有那台电脑不再使用时才应这样做，否则两台电脑会用同一个"
                "设备编号向县里报数。确实要用它替换本机的数据吗？"
            )
            if self.ask_yes_no(_("另一台电脑的备份"), question):
                self._run_restore(backup, True, passphrase)
                return
        elif isinstance(exc, PassphraseNeeded | WrongPassphrase):
            self.status.setText(str(exc))
            given = self.ask_passphrase()
            if given:
                self._run_restore(backup, allow_other, given)
                return
        self._failed(exc)

    def _restored(self, result: Any) -> None:
        self._stop()
        self.damaged = None
        self.banner.hide()
        self.status.setText(
            _("已从 {when} 的备份恢复（{households} 户），数据库已检查完整。").format(
                when=result.manifest.created.strftime("%Y-%m-%d %H:%M"),
                households=result.manifest.households,
            )
        )
        self._update_buttons()
        self.restored.emit(result)

    # ------------------------------------------------------------------ progress
    def _start(self, text: str) -> None:
        self.busy = True
        self.progress.setValue(0)
        self.progress.show()
        self.status.setStyleSheet("")
        self.status.setText(text)
        self._update_buttons()

    def _stop(self) -> None:
        self.busy = False
        self.progress.hide()
        self._update_buttons()

    def _progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if text:
            self.status.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self._stop()
        self.status.setText(describe_error(exc))
        self.status.setStyleSheet("color: #b71c1c;")

    # ------------------------------------------------------------------ questions
    def _ask_yes_no(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _choose_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(self, _("选择 U 盘或文件夹"))
        return Path(chosen) if chosen else None

    def _choose_file(self) -> Path | None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, _("选择备份文件"), str(self.folder), _("入户通备份 (*.dsbackup)")
        )
        return Path(chosen) if chosen else None

    def _ask_passphrase(self) -> str | None:
        text, ok = QInputDialog.getText(
            self,
            _("备份的密码"),
            _("这个备份已加密，请输入备份时使用的密码："),
            QLineEdit.EchoMode.Password,
        )
        return text if ok and text else None
