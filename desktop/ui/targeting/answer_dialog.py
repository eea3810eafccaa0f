"""手工评定: answering a rubric indicator by hand from a score breakdown.

Where the data do not show an indicator (or a cadre already answered it), the breakdown row gets
a 手工评定… button (and a double-click) that opens a small dialog listing the rubric's options
with their points. Saving goes through ``AppContext.run_op`` (one unit of work, undoable) and the
owner re-reads its scores, so the ranking moves at once. Rows the data answer stay read-only: the
data win unless a person had to step in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.targeting import IndicatorScore, default_config
from desktop.core.targeting.answers import record_score_answer, withdraw_score_answer
from desktop.core.targeting.rubric import Indicator, Rubric
from desktop.ui.context import AppContext
from desktop.ui.models.rows import RowsTableModel


def indicator_of(rubric: Rubric, line: IndicatorScore) -> Indicator | None:
    return next((i for i in rubric.indicators if i.code == line.indicator), None)


def answerable(rubric: Rubric, line: IndicatorScore) -> bool:
    """A row a person may answer: the data are silent, or a person already answered it."""
    indicator = indicator_of(rubric, line)
    return indicator is not None and indicator.manual and (line.option is None or line.manual)


class AnswerDialog(QDialog):
    """One indicator's options with their points, who answered, when, and a note."""

    save_requested = Signal()
    withdraw_requested = Signal()

    def __init__(self, indicator: Indicator, line: IndicatorScore, parent: QWidget) -> None:
        super().__init__(parent)
        self.indicator = indicator
        self.setObjectName("answer_dialog")
        self.setWindowTitle(_("手工评定：{label}").format(label=indicator.label))
        layout = QVBoxLayout(self)
        hint = QLabel(
            _("数据未能得出这一指标，请按入户所见选择。")
            if not line.manual
            else _("已手工评定为“{option}”。可以改选，或撤销后按数据计算。").format(
                option=line.option_label
            )
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        form = QFormLayout()
        self.option_box = QComboBox()
        self.option_box.setObjectName("answer_option")
        for option in indicator.options:
            self.option_box.addItem(
                _("{label}（{points:g}分）").format(label=option.label, points=option.points),
                option.code,
            )
        if line.option is not None:
            self.option_box.setCurrentIndex(max(self.option_box.findData(line.option), 0))
        form.addRow(_("情况"), self.option_box)
        self.by_edit = QLineEdit()
        self.by_edit.setObjectName("answer_by")
        self.by_edit.setPlaceholderText(_("默认为本机记录人"))
        form.addRow(_("评定人"), self.by_edit)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setObjectName("answer_date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMaximumDate(QDate.currentDate())
        form.addRow(_("评定日期"), self.date_edit)
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("answer_note")
        self.note_edit.setPlaceholderText(_("入户看到的情况（可不填）"))
        form.addRow(_("备注"), self.note_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(_("保存"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("answer_save")
        self.withdraw_button = buttons.addButton(
            _("撤销手工评定"), QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.withdraw_button.setObjectName("answer_withdraw")
        self.withdraw_button.setVisible(line.manual)
        cancel = buttons.addButton(_("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save_requested)
        self.withdraw_button.clicked.connect(self.withdraw_requested)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        day = self.date_edit.date()
        return {
            "option": str(self.option_box.currentData()),
            "answered_by": self.by_edit.text().strip(),
            "answered_on": date(day.year(), day.month(), day.day()),
            "note": self.note_edit.text().strip() or None,
        }

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.withdraw_button.setEnabled(not busy)


class AnswerControls(QWidget):
    """The 手工评定… button under a breakdown table (a double-click on a row does the same)."""

    saved = Signal()

    def __init__(
        self,
        ctx: AppContext,
        table: QTableView,
        model: RowsTableModel,
        household_of: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.table, self.model, self.household_of = ctx, table, model, household_of
        self.dialog: AnswerDialog | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        hint = QLabel(_("缺少数据的指标可以手工评定（双击该行）。"))
        hint.setStyleSheet("color: #666666;")
        row.addWidget(hint, 1)
        self.button = QPushButton(_("手工评定…"))
        self.button.setObjectName("answer_button")
        self.button.setEnabled(False)
        self.button.clicked.connect(lambda: self.open())
        row.addWidget(self.button)
        table.doubleClicked.connect(lambda index: self.open(index.row()))
        table.selectionModel().currentRowChanged.connect(self._update)
        model.modelReset.connect(lambda: self._update(table.currentIndex(), QModelIndex()))

    def _line(self, row: int) -> IndicatorScore | None:
        found = self.model.row_at(row)
        return found["line"] if found is not None else None

    def _update(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = self._line(current.row()) if current.isValid() else None
        rubric = default_config().rubric
        self.button.setEnabled(line is not None and answerable(rubric, line))

    def open(self, row: int | None = None) -> AnswerDialog | None:
        """Open the dialog for ``row`` (default: the table's current row) when it is answerable."""
        line = self._line(self.table.currentIndex().row() if row is None else row)
        household_id = self.household_of()
        rubric = default_config().rubric
        if line is None or household_id is None or not answerable(rubric, line):
            return None
        indicator = indicator_of(rubric, line)
        assert indicator is not None
        dialog = AnswerDialog(indicator, line, self)
        dialog.save_requested.connect(lambda: self._save(dialog, household_id))
        dialog.withdraw_requested.connect(lambda: self._withdraw(dialog, household_id))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _finished(self, dialog: AnswerDialog) -> Callable[[Any], None]:
        def done(_value: Any) -> None:
            dialog.accept()
            self.saved.emit()

        return done

    def _save(self, dialog: AnswerDialog, household_id: str) -> None:
        values, code = dialog.values(), dialog.indicator.code

        def op(uow: Any) -> str:
            return record_score_answer(
                uow,
                household_id,
                code,
                values["option"],
                values["answered_by"],
                values["answered_on"],
                values["note"],
            )

        dialog.set_busy(True)
        self.ctx.run_op(
            _("手工评定"),
            op,
            self._finished(dialog),
            parent=dialog,
            table="score_answer",
            on_failed=lambda: dialog.set_busy(False),
        )

    def _withdraw(self, dialog: AnswerDialog, household_id: str) -> None:
        code = dialog.indicator.code
        reason = dialog.note_edit.text().strip() or _("撤销手工评定，按数据计算")

        def op(uow: Any) -> int:
            return withdraw_score_answer(uow, household_id, code, reason)

        dialog.set_busy(True)
        self.ctx.run_op(
            _("撤销手工评定"),
            op,
            self._finished(dialog),
            parent=dialog,
            table="score_answer",
            on_failed=lambda: dialog.set_busy(False),
        )
