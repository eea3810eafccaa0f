"""交换: the sync status and one USB exchange, run on the worker with a progress bar.

The report lists every bundle: written to the stick (and read back), imported, held until an
earlier one arrives, refused and why. "可以拔出U盘了" appears only when the exchange says the
stick is safe to remove — never after an error, however much else went well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.sync.exchange import SyncStatus, get_setting, put_setting, status
from desktop.sync.usb import UsbReport, sync_stick
from desktop.ui.context import AppContext
from desktop.ui.sync.exchange_lock import usb_turn
from desktop.ui.sync.stick_widgets import ReportList, StickPicker
from desktop.ui.tasks import Task, TaskContext, describe_error

LAST_STICK_KEY = "ui:last_stick"  # local setting: where the cadre exchanged last time


def load_status(db: Database) -> tuple[SyncStatus, str]:
    with db.read() as conn:
        last = get_setting(conn, LAST_STICK_KEY, "")
    return status(db), str(last or "")


def remember_stick(db: Database, folder: str) -> None:
    with db.write_connection() as conn:
        put_setting(conn, LAST_STICK_KEY, folder)


class ExchangePanel(QWidget):
    exchanged = Signal(object)  # UsbReport
    finished = Signal()  # after every attempt, whether it worked or not
    status_loaded = Signal(object)  # SyncStatus

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("exchange_panel")
        self._task: Task | None = None
        layout = QVBoxLayout(self)

        box = QGroupBox(_("同步状态"))
        form = QFormLayout(box)
        self.pending_value = QLabel()
        self.pending_value.setObjectName("status_pending")
        self.bundles_value = QLabel()
        self.held_value = QLabel()
        self.held_value.setObjectName("status_held")
        self.last_value = QLabel()
        self.last_value.setObjectName("status_last")
        self.conflicts_value = QLabel()
        self.conflicts_value.setObjectName("status_conflicts")
        form.addRow(_("尚未打包的修改"), self.pending_value)
        form.addRow(_("等待县里确认的数据包"), self.bundles_value)
        form.addRow(_("暂存的县里数据包"), self.held_value)
        form.addRow(_("上次交换"), self.last_value)
        form.addRow(_("待处理的冲突"), self.conflicts_value)
        layout.addWidget(box)

        usb = QGroupBox(_("U 盘交换"))
        usb_layout = QVBoxLayout(usb)
        hint = QLabel(
            _("插入 U 盘，选择 U 盘（或乡镇转交的文件夹），再点“开始交换”。交换完成前请不要拔出。")
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        usb_layout.addWidget(hint)
        picker = StickPicker(_("开始交换"), self.start_exchange, "stick_folder", "start_exchange")
        self.folder_edit = picker.edit
        self.choose_button, self.start_button = picker.choose_button, picker.start_button
        usb_layout.addWidget(picker)
        self.progress = QProgressBar()
        self.progress.setObjectName("exchange_progress")
        self.progress.hide()
        self.progress_text = QLabel()
        self.progress_text.hide()
        usb_layout.addWidget(self.progress_text)
        usb_layout.addWidget(self.progress)
        self.report_list = ReportList("exchange_report")
        self.report_list.hide()
        usb_layout.addWidget(self.report_list, 1)
        self.safe_label = QLabel(_("可以拔出U盘了"))
        self.safe_label.setObjectName("safe_to_remove")
        self.safe_label.setStyleSheet(
            "font-size: 16px; font-weight: bold; color: white; background: #2e7d32;"
            " padding: 6px; border-radius: 3px;"
        )
        self.safe_label.hide()
        usb_layout.addWidget(self.safe_label)
        layout.addWidget(usb, 1)

    # ------------------------------------------------------------------ status
    def load_status(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(lambda: load_status(db), self._on_status, key="sync-status")

    def _on_status(self, loaded: tuple[SyncStatus, str]) -> None:
        s, last_stick = loaded
        if last_stick and not self.folder_edit.text():
            self.folder_edit.setText(last_stick)
        self.pending_value.setText(_("{n} 条").format(n=s.pending_changes))
        self.bundles_value.setText(_("{n} 个").format(n=s.unacknowledged_bundles))
        self.held_value.setText(_("{n} 个").format(n=s.held_bundles))
        self.last_value.setText(
            s.last_exchange.replace("T", " ")[:19] if s.last_exchange else _("还没有交换过")
        )
        self.conflicts_value.setText(_("{n} 处").format(n=s.open_conflicts))
        self.conflicts_value.setStyleSheet("color: #c62828;" if s.open_conflicts else "")
        self.status_loaded.emit(s)

    # ------------------------------------------------------------------ exchange
    def start_exchange(self) -> Task | None:
        text = self.folder_edit.text().strip()
        if not text:
            self._show_lines([(_("请先选择 U 盘或文件夹。"), "refused")])
            return None
        if self._task is not None:
            return None
        stick = Path(text)
        db = self.ctx.db
        self.safe_label.hide()
        self.report_list.clear()
        self.report_list.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_text.setText(_("正在交换，请不要拔出 U 盘…"))
        self.progress_text.show()
        for widget in (self.start_button, self.choose_button, self.folder_edit):
            widget.setEnabled(False)

        def work(context: TaskContext) -> UsbReport:
            remember_stick(db, text)
            with usb_turn():  # not while an online sync is bundling the same changes
                return sync_stick(
                    db, stick, lambda what, done, total: context.progress(done, total, what)
                )

        self._task = self.ctx.runner.submit(
            work,
            self._on_report,
            self._on_failed,
            on_progress=self._on_progress,
            wants_context=True,
        )
        return self._task

    def _on_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_text.setText(_("正在写入 {name}…").format(name=what))

    def _finish(self) -> None:
        self._task = None
        self.progress.hide()
        self.progress_text.hide()
        for widget in (self.start_button, self.choose_button, self.folder_edit):
            widget.setEnabled(True)

    def _on_report(self, report: UsbReport) -> None:
        self._finish()
        outcomes = report.imported.outcomes
        lines: list[tuple[str, str]] = [(o.message, o.status) for o in outcomes]
        rest = report.lines()[len(outcomes) :]
        if report.safe_to_remove:
            rest = rest[:-1]  # said by the green banner instead
        lines += [(line, "") for line in rest]
        self._show_lines([(summary_line(report), "summary")] + lines)
        self.safe_label.setVisible(report.safe_to_remove)
        self.exchanged.emit(report)
        self.load_status()
        self.finished.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        self._show_lines([(describe_error(exc), "refused"), (_("交换没有完成。"), "refused")])
        self.load_status()
        self.finished.emit()

    def _show_lines(self, lines: list[tuple[str, str]]) -> None:
        self.report_list.show_lines(lines)
        self.report_list.show()

    def report_lines(self) -> list[str]:
        return self.report_list.texts()


def summary_line(report: UsbReport) -> str:
    imported = report.imported
    return _(
        "写入 {written} 个，导入 {applied} 个，暂存 {held} 个，拒收 {refused} 个，重复 {dup} 个。"
    ).format(
        written=len(report.written),
        applied=len(imported.by_status("applied")),
        held=len(imported.by_status("held")),
        refused=len(imported.by_status("refused")),
        dup=len(imported.by_status("duplicate")),
    )


__all__: list[Any] = ["ExchangePanel", "summary_line"]
