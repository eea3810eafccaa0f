"""Choosing what to print for a village: the whole book, a public notice, or the summary.

Notices cover a period (default: this year so far) and carry a notice period (posted date and
days, defaulting to the ledger's per-kind defaults), exactly the options of ``doorstep notice``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.ledger.notices import DEFAULT_DAYS
from desktop.ui.context import AppContext
from desktop.ui.printing.jobs import (
    PrintJob,
    notice_choice,
    notice_job,
    summary_job,
    village_book_job,
)
from desktop.ui.printing.preview import PrintPreview, open_preview

CHOICES = ("book", "entry", "exit", "monitoring", "funds", "summary")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class VillagePrintDialog(QDialog):
    """Pick a document for one village; 预览 opens the print preview for it."""

    previewed = Signal(object)  # the PrintPreview opened

    def __init__(
        self,
        ctx: AppContext,
        village_code: str,
        village_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.village_code = village_code
        self.village_name = village_name
        self.setObjectName("village_print_dialog")
        self.setWindowTitle(_("打印 — {village}").format(village=village_name))
        layout = QVBoxLayout(self)
        title = QLabel(_("{village}：选择要打印的材料").format(village=village_name))
        title.setStyleSheet("font-weight: bold; padding: 4px 0;")
        layout.addWidget(title)

        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        labels = {
            "book": _("全村一户一本台账（一个文件，含目录）"),
            "summary": _("村帮扶工作汇总（含图表）"),
        }
        for kind in ("entry", "exit", "monitoring", "funds"):
            labels[kind] = notice_choice(kind)
        docs = QGroupBox(_("材料"))
        docs_layout = QVBoxLayout(docs)
        for kind in CHOICES:
            button = QRadioButton(labels[kind])
            button.setObjectName(f"choice_{kind}")
            self.group.addButton(button)
            self.buttons[kind] = button
            docs_layout.addWidget(button)
            button.toggled.connect(self._update)
        layout.addWidget(docs)

        today = date.today()
        self.notice_box = QGroupBox(_("公示设置"))
        form = QFormLayout(self.notice_box)
        self.start_edit = self._date_edit(date(today.year, 1, 1))
        self.end_edit = self._date_edit(today)
        self.posted_edit = self._date_edit(today)
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, 90)
        self.days_spin.setSuffix(_(" 天"))
        form.addRow(_("统计期间从"), self.start_edit)
        form.addRow(_("到"), self.end_edit)
        form.addRow(_("公示开始日期"), self.posted_edit)
        form.addRow(_("公示天数"), self.days_spin)
        layout.addWidget(self.notice_box)

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        buttons = QDialogButtonBox()
        self.preview_button = buttons.addButton(_("预览"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.preview)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.buttons["book"].setChecked(True)
        self._update()

    def _date_edit(self, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def choice(self) -> str:
        return next(kind for kind, button in self.buttons.items() if button.isChecked())

    def choose(self, kind: str) -> None:
        self.buttons[kind].setChecked(True)

    def _update(self, *_args: object) -> None:
        kind = next((k for k, b in self.buttons.items() if b.isChecked()), "book")
        is_notice = kind in DEFAULT_DAYS
        self.notice_box.setEnabled(is_notice)
        if is_notice:
            self.days_spin.setValue(DEFAULT_DAYS[kind])

    def job(self) -> PrintJob | None:
        """The chosen document, or None (with the reason shown) when the dates do not fit."""
        kind = self.choice()
        if kind == "book":
            return village_book_job(self.village_code, self.village_name)
        if kind == "summary":
            return summary_job(self.village_code, self.village_name)
        start, end = _pydate(self.start_edit.date()), _pydate(self.end_edit.date())
        if end < start:
            self._show_error(
                _("结束日期 {end} 早于开始日期 {start}。").format(end=end, start=start)
            )
            return None
        return notice_job(
            self.village_code,
            self.village_name,
            kind,
            start=start,
            end=end,
            posted=_pydate(self.posted_edit.date()),
            days=self.days_spin.value(),
        )

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def preview(self) -> PrintPreview | None:
        job = self.job()
        if job is None:
            return None
        self.error_label.hide()
        dialog = open_preview(self.ctx, job, self.parentWidget())
        self.previewed.emit(dialog)
        return dialog
