"""乡镇中转: the township office relays a village's USB stick to and from the county.

Pick the stick (or the folder it was copied to) and the county server's address, press 开始中转:
``desktop.sync.relay.relay_stick`` takes the outbox bundles off the stick and forwards them (or
keeps them to forward later when the county cannot be reached), and writes the county's
down-bundles for the laptops it knows onto the stick. It can check who signed each bundle but
read none. The report is shown first; only then, and only when the relay finished, does the
window say the stick can be removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ui.context import AppContext
from desktop.ui.sync.background import BackgroundJob
from desktop.ui.sync.online_syncer import OnlineSyncer
from desktop.ui.tasks import describe_error


def relay_state_dir(db: Database) -> Path:
    """Where this office keeps bundles waiting to be forwarded and what it knows of devices."""
    return db.path.with_name(db.path.name + ".relay")


def run_relay(stick: Path, server: str | None, state_dir: Path, progress: Any) -> Any:
    from desktop.sync.relay import relay_stick

    return relay_stick(stick, server, state_dir, progress)


def report_lines(report: Any) -> list[tuple[str, str]]:
    """The relay report as (sentence, kind) lines: the summary first, then each bundle."""
    lines: list[tuple[str, str]] = [(str(report.summary()), "summary")]
    detail = getattr(report, "lines", None)
    if callable(detail):
        for line in detail():
            lines.append((str(line), "refused" if line in refused_lines(report) else ""))
    else:
        lines += [(reason, "refused") for reason in refused_lines(report)]
    return lines


def refused_lines(report: Any) -> list[str]:
    refused = getattr(report, "refused", []) or []
    out = []
    for item in refused:
        if isinstance(item, tuple | list) and len(item) == 2:
            out.append(f"{item[0]}：{item[1]}")
        else:
            out.append(str(getattr(item, "message", item)))
    return out


class TownshipWindow(QDialog):
    relayed = Signal(object)  # the RelayReport
    finished_relay = Signal()  # after every attempt, whether it worked or not

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, syncer: OnlineSyncer | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("township_window")
        self.setWindowTitle(_("乡镇中转 U 盘"))
        self.resize(760, 560)
        self.job = BackgroundJob(self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_report)
        self.job.failed.connect(self._on_failed)
        self.state_dir = relay_state_dir(ctx.db)
        layout = QVBoxLayout(self)

        hint = QLabel(
            _(
                "乡镇办公室用：把村里送来的 U 盘插上，选择 U 盘，点“开始中转”。村里的数据包转交县里"
                "（连不上县里时先存在本机，下次再转），县里发给各台电脑的数据包写回 U 盘。"
                "中转只核对数据包是谁签名的，看不到里面的内容。"
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)

        box = QGroupBox(_("中转设置"))
        form = QFormLayout(box)
        stick_row = QHBoxLayout()
        self.stick_edit = QLineEdit()
        self.stick_edit.setObjectName("relay_stick")
        self.stick_edit.setPlaceholderText(_("U 盘或文件夹的位置"))
        choose = QPushButton(_("选择…"))
        choose.clicked.connect(self.choose_stick)
        self.choose_button = choose
        stick_row.addWidget(self.stick_edit, 1)
        stick_row.addWidget(choose)
        form.addRow(_("U 盘"), stick_row)
        self.server_edit = QLineEdit()
        self.server_edit.setObjectName("relay_server")
        self.server_edit.setPlaceholderText(_("县服务器地址；不填则只存在本机，联网后再转"))
        if syncer is not None and syncer.state.server:
            self.server_edit.setText(syncer.state.server)
        form.addRow(_("县服务器"), self.server_edit)
        self.state_label = QLabel(str(self.state_dir))
        self.state_label.setStyleSheet("color: #555;")
        form.addRow(_("本机暂存位置"), self.state_label)
        layout.addWidget(box)

        actions = QHBoxLayout()
        self.start_button = QPushButton(_("开始中转"))
        self.start_button.setObjectName("start_relay")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_relay)
        actions.addWidget(self.start_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.progress_text = QLabel()
        self.progress_text.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("relay_progress")
        self.progress.hide()
        layout.addWidget(self.progress_text)
        layout.addWidget(self.progress)
        self.report_list = QListWidget()
        self.report_list.setObjectName("relay_report")
        self.report_list.setWordWrap(True)
        layout.addWidget(self.report_list, 1)
        self.safe_label = QLabel(_("中转完成，可以拔出U盘了"))
        self.safe_label.setObjectName("relay_safe_to_remove")
        self.safe_label.setStyleSheet(
            "font-size: 16px; font-weight: bold; color: white; background: #2e7d32;"
            " padding: 6px; border-radius: 3px;"
        )
        self.safe_label.hide()
        layout.addWidget(self.safe_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # ------------------------------------------------------------------ actions
    def choose_stick(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, _("选择 U 盘或文件夹"), self.stick_edit.text() or str(Path.home())
        )
        if folder:
            self.stick_edit.setText(folder)

    def start_relay(self) -> bool:
        text = self.stick_edit.text().strip()
        if not text:
            self._show([(_("请先选择 U 盘或文件夹。"), "refused")])
            return False
        stick = Path(text)
        if not stick.is_dir():
            self._show([(_("找不到 U 盘或文件夹 {path}。").format(path=stick), "refused")])
            return False
        if self.job.running():
            return False
        server = self.server_edit.text().strip() or None
        state_dir = self.state_dir
        self.safe_label.hide()
        self.report_list.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_text.setText(_("正在中转，请不要拔出 U 盘…"))
        self.progress_text.show()
        for widget in (self.start_button, self.choose_button, self.stick_edit, self.server_edit):
            widget.setEnabled(False)
        return self.job.start(
            lambda progress: run_relay(stick, server, state_dir, progress), "doorstep-relay"
        )

    # ------------------------------------------------------------------ results
    def _on_progress(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        if what:
            self.progress_text.setText(_("正在中转：{what}").format(what=what))

    def _finish(self) -> None:
        self.progress.hide()
        self.progress_text.hide()
        for widget in (self.start_button, self.choose_button, self.stick_edit, self.server_edit):
            widget.setEnabled(True)

    def _on_report(self, report: Any) -> None:
        self._finish()
        self._show(report_lines(report))
        self.safe_label.setVisible(bool(getattr(report, "safe_to_remove", True)))
        self.relayed.emit(report)
        self.finished_relay.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        self._show(
            [
                (describe_error(exc), "refused"),
                (_("中转没有完成，请不要拔出 U 盘，检查后再试一次。"), "refused"),
            ]
        )
        self.finished_relay.emit()

    def _show(self, lines: list[tuple[str, str]]) -> None:
        self.report_list.clear()
        colours = {"refused": "#c62828", "held": "#b26a00"}
        for text, kind in lines:
            item = QListWidgetItem(text)
            if kind in colours:
                item.setForeground(QBrush(QColor(colours[kind])))
            if kind == "summary":
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.report_list.addItem(item)

    def report_texts(self) -> list[str]:
        return [self.report_list.item(i).text() for i in range(self.report_list.count())]

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.job.wait(30)  # a relay writing to the stick finishes before the window goes
        super().closeEvent(event)
