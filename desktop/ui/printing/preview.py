"""The print preview: the PDF is made on the worker, shown with QtPdf, then printed or saved.

The document is written by ``desktop.ledger`` into a private temporary folder (never beside the
cadre's files), so cancelling or closing leaves nothing behind; 另存为 copies it where the cadre
chooses. When the preview cannot show a file (a broken graphics driver, a PDF QtPdf refuses),
"用系统程序打开" hands a copy to the system's PDF viewer instead.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QPointF, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.ledger.errors import LedgerError
from desktop.ui.context import AppContext
from desktop.ui.printing.jobs import Made, PrintJob
from desktop.ui.printing.paper import PrintingFailed, print_document
from desktop.ui.tasks import Task, TaskContext, describe_error

ZOOM_STEP = 1.25
ERROR_STYLE = "color: #c62828;"


def printing_error(exc: BaseException) -> str:
    """Ledger errors are sentences for the cadre already; anything else is described."""
    return str(exc) if isinstance(exc, LedgerError) else describe_error(exc)


def viewer_copy_dir() -> Path:
    """Copies handed to the system viewer outlive the dialog (the viewer may still read them)."""
    return Path(tempfile.gettempdir()) / "doorstep-print"


class PrintPreview(QDialog):
    """Makes ``job``'s PDF on the worker and previews it; print, save as, or open elsewhere."""

    ready = Signal(int)  # page count, once the document is on screen
    failed = Signal(str)
    cancelled = Signal()
    saved = Signal(str)

    def __init__(self, ctx: AppContext, job: PrintJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job = job
        self.setObjectName("print_preview")
        self.setWindowTitle(_("打印预览 — {title}").format(title=job.title))
        self.resize(900, 1000)
        self.pdf_path: Path | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="doorstep-print-"))
        self._task: Task | None = None
        self.open_url = QDesktopServices.openUrl  # replaced in tests: no viewer there
        self.document = QPdfDocument(self)
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QToolBar()
        bar.setObjectName("preview_toolbar")
        self.print_action = bar.addAction(_("打印…"), self.choose_printer)
        self.save_action = bar.addAction(_("另存为…"), self.save_as)
        self.external_action = bar.addAction(_("用系统程序打开"), self.open_external)
        bar.addSeparator()
        self.zoom_out_action = bar.addAction(_("缩小"), lambda: self.zoom(1 / ZOOM_STEP))
        self.zoom_in_action = bar.addAction(_("放大"), lambda: self.zoom(ZOOM_STEP))
        self.fit_action = bar.addAction(_("适合宽度"), self.fit_width)
        bar.addSeparator()
        self.pages_label = QLabel()
        self.pages_label.setObjectName("pages_label")
        bar.addWidget(self.pages_label)
        layout.addWidget(bar)

        status = QHBoxLayout()
        self.status_label = QLabel(_("正在生成 {title}…").format(title=self.job.title))
        self.status_label.setObjectName("preview_status")
        self.status_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(260)
        self.cancel_button = QPushButton(_("取消"))
        self.cancel_button.setObjectName("preview_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setVisible(self.job.cancellable)
        status.addWidget(self.status_label, 1)
        status.addWidget(self.progress)
        status.addWidget(self.cancel_button)
        layout.addLayout(status)

        self.view = QPdfView(self)
        self.view.setObjectName("pdf_view")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, 1)
        self._set_document_actions(False)
        self.external_action.setEnabled(False)

    def _set_document_actions(self, on: bool) -> None:
        for action in (
            self.print_action,
            self.zoom_in_action,
            self.zoom_out_action,
            self.fit_action,
        ):
            action.setEnabled(on)

    # ------------------------------------------------------------------ making the PDF
    def start(self) -> Task:
        """Queue the PDF on the worker; the dialog stays responsive and can cancel."""
        db, job = self.ctx.db, self.job
        out = self._folder / job.file_name

        def work(context: TaskContext) -> Made:
            return job.make(db, out, context.progress, lambda: context.cancelled)

        self._task = self.ctx.runner.submit(
            work,
            self._on_made,
            self._on_failed,
            on_progress=self._on_progress,
            wants_context=True,
        )
        return self._task

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status_label.setText(
            _("正在生成 {title}：{done}/{total} {text}").format(
                title=self.job.title, done=done, total=total, text=text
            )
        )

    def _on_made(self, made: Made) -> None:
        self._task = None
        self.progress.hide()
        self.cancel_button.hide()
        if made.cancelled or made.path is None:
            self._show_cancelled()
            return
        self.pdf_path = made.path
        self.save_action.setEnabled(True)
        self.external_action.setEnabled(True)
        error = self.document.load(str(made.path))
        if error != QPdfDocument.Error.None_:
            message = _("预览无法显示这个文件，请点“用系统程序打开”查看或打印。")
            self.status_label.setText(message)
            self.status_label.setStyleSheet(ERROR_STYLE)
            self.failed.emit(message)
            return
        pages = self.document.pageCount()
        self.pages_label.setText(_("共 {n} 页").format(n=pages))
        done = _("{title} 已生成，共 {n} 页。").format(title=self.job.title, n=pages)
        self.status_label.setText(f"{done} {made.note}".strip())
        self._set_document_actions(True)
        self.ready.emit(pages)

    def _on_failed(self, exc: BaseException) -> None:
        self._task = None
        self.progress.hide()
        self.cancel_button.hide()
        message = printing_error(exc)
        self.status_label.setText(message)
        self.status_label.setStyleSheet(ERROR_STYLE)
        self.save_action.setEnabled(False)
        self.failed.emit(message)

    def cancel(self) -> None:
        """Stop making the PDF: a cancelled village book leaves no file at all."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._show_cancelled()

    def _show_cancelled(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.save_action.setEnabled(False)
        self.status_label.setText(_("已取消，没有生成文件。"))
        self.cancelled.emit()

    @property
    def page_count(self) -> int:
        return self.document.pageCount() if self.pdf_path is not None else 0

    # ------------------------------------------------------------------ viewing
    def zoom(self, factor: float) -> None:
        current = self.view.zoomFactor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.2, min(5.0, current * factor)))

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def go_to_page(self, page: int) -> None:
        self.view.pageNavigator().jump(page, QPointF(), self.view.zoomFactor())

    # ------------------------------------------------------------------ printing
    def choose_printer(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.job.title)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("打印 {title}").format(title=self.job.title))
        dialog.setMinMax(1, max(1, self.page_count))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Send the previewed pages to ``printer``; returns the number of pages sent."""
        if self.pdf_path is None:
            return 0
        self.status_label.setText(_("正在发送到打印机…"))
        self.progress.setRange(0, max(1, self.page_count))
        self.progress.show()

        def progress(done: int, total: int) -> bool:
            self.progress.setValue(done)
            return True

        try:
            sent = print_document(self.document, printer, progress)
        except PrintingFailed as exc:
            self.progress.hide()
            self.status_label.setText(str(exc))
            self.ctx.show_error(self, str(exc))
            return 0
        self.progress.hide()
        self.status_label.setText(_("已发送 {n} 页到打印机。").format(n=sent))
        return sent

    # ------------------------------------------------------------------ files
    def save_as(self) -> None:
        if self.pdf_path is None:
            return
        name, _filter = QFileDialog.getSaveFileName(
            self,
            _("另存为"),
            str(Path.home() / self.job.file_name),
            _("PDF 文件 (*.pdf)"),
        )
        if name:
            target = Path(name)
            if target.suffix.lower() != ".pdf":
                target = target.with_name(target.name + ".pdf")
            self.save_to(target)

    def save_to(self, target: Path) -> None:
        """Copy the PDF to ``target`` on the worker (a USB stick can be slow)."""
        source = self.pdf_path
        if source is None:
            return

        def copy() -> Path:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, partial)
            partial.replace(target)
            return target

        def done(path: Path) -> None:
            if not shiboken6.isValid(self):  # closed while the copy ran: the file is saved
                return
            self.status_label.setText(_("已保存到 {path}").format(path=path))
            self.saved.emit(str(path))

        def failed(exc: BaseException) -> None:
            message = _("无法保存到 {path}：{error}").format(path=target, error=describe_error(exc))
            if not shiboken6.isValid(self):
                self.ctx.show_error(None, message)
                return
            self.status_label.setText(message)
            self.ctx.show_error(self, message)

        self.ctx.runner.submit(copy, done, failed)

    def open_external(self) -> Path | None:
        """Hand a copy to the system's PDF viewer (the fallback when preview or printing fails)."""
        if self.pdf_path is None:
            return None
        folder = viewer_copy_dir()
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / self.job.file_name
        try:
            shutil.copyfile(self.pdf_path, copy)
        except OSError as exc:
            self.ctx.show_error(self, describe_error(exc))
            return None
        if not self.open_url(QUrl.fromLocalFile(str(copy))):
            self.ctx.show_error(
                self,
                _("这台电脑上没有找到能打开 PDF 的程序。文件在：{path}").format(path=copy),
            )
        return copy

    # ------------------------------------------------------------------ closing
    def done(self, result: int) -> None:
        self._release()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._release()
        super().closeEvent(event)

    def _release(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.document.close()
        folder = self._folder
        # queued behind any PDF still being written, so the folder goes after the writer
        self.ctx.runner.submit(lambda: shutil.rmtree(folder, ignore_errors=True))


def open_preview(ctx: AppContext, job: PrintJob, parent: QWidget | None = None) -> PrintPreview:
    """Show a preview for ``job`` and start making its PDF."""
    dialog = PrintPreview(ctx, job, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.start()
    return dialog


__all__: list[Any] = ["PrintPreview", "open_preview", "printing_error"]
