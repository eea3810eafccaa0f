"""冲突: fields two laptops changed without seeing each other, side by side, for a person to decide.

The merge already applied the later value; here the cadre sees both (value, laptop, cadre, time)
and keeps one or types another. The decision goes through ``desktop.sync.conflicts`` on the
worker — validated like any edit (errors are shown beside the value; warnings are shown and the
cadre confirms or goes back, as in every form), written as a change that travels to the county
and to every other laptop, so the conflict closes everywhere.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.services.errors import ValidationFailed
from desktop.core.services.uow import Change
from desktop.sync.conflicts import resolve_conflict
from desktop.ui.context import AppContext, problems_text
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.sync.conflict_rows import conflict_rows
from desktop.ui.tasks import describe_error

WINNER_COLOUR = "#2e7d32"
OTHER_COLOUR = "#b26a00"


def conflict_columns() -> list[RowColumn]:
    return [
        RowColumn(_("农户"), lambda r: r["household"]),
        RowColumn(_("对象"), lambda r: r["what"]),
        RowColumn(_("项目"), lambda r: r["field_label"]),
        RowColumn(_("现在采用的值"), lambda r: r["winner_text"], lambda r: WINNER_COLOUR),
        RowColumn(_("另一个值"), lambda r: r["loser_text"], lambda r: OTHER_COLOUR),
        RowColumn(_("时间"), lambda r: r["winner_time"]),
    ]


class SideCard(QGroupBox):
    """One side of a conflict: its value, the laptop and cadre that wrote it, and when."""

    keep = Signal()

    def __init__(self, title: str, colour: str, button_text: str) -> None:
        super().__init__(title)
        grid = QGridLayout(self)
        self.value = QLabel()
        self.value.setWordWrap(True)
        self.value.setStyleSheet(f"font-size: 16px; font-weight: bold; color: {colour};")
        self.device = QLabel()
        self.cadre = QLabel()
        self.time = QLabel()
        grid.addWidget(self.value, 0, 0, 1, 2)
        for row, (label, widget) in enumerate(
            ((_("电脑"), self.device), (_("填写人"), self.cadre), (_("时间"), self.time)), 1
        ):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(widget, row, 1)
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.keep)
        grid.addWidget(self.button, 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)

    def show_side(self, row: dict[str, Any], side: str) -> None:
        self.value.setText(row[f"{side}_text"])
        self.device.setText(row[f"{side}_device"])
        self.cadre.setText(row[f"{side}_cadre"])
        self.time.setText(row[f"{side}_time"])


class ConflictsPanel(QWidget):
    resolved = Signal(str)  # change id of the decision
    counted = Signal(int)  # open conflicts after a load

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("conflicts_panel")
        layout = QVBoxLayout(self)
        note = QLabel(
            _(
                "两台电脑在互相不知道的情况下改了同一项。系统先采用了后改的值；"
                "请核实后保留其中一个，或填写正确的值。处理结果会同步到县里和其他电脑。"
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.model = RowsTableModel(conflict_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("conflict_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_current())

        self.detail = QWidget()
        detail = QVBoxLayout(self.detail)
        detail.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("conflict_heading")
        self.heading.setStyleSheet("font-weight: bold; padding: 4px 0;")
        detail.addWidget(self.heading)
        sides = QHBoxLayout()
        self.winner_card = SideCard(_("现在采用的值"), WINNER_COLOUR, _("保留这个值"))
        self.loser_card = SideCard(_("另一台电脑的值"), OTHER_COLOUR, _("改用这个值"))
        self.winner_card.keep.connect(lambda: self.keep("winner"))
        self.loser_card.keep.connect(lambda: self.keep("loser"))
        sides.addWidget(self.winner_card)
        sides.addWidget(self.loser_card)
        detail.addLayout(sides)
        self.other_box = QGroupBox(_("两个都不对？填写正确的值"))
        other = QHBoxLayout(self.other_box)
        self.form_holder = QVBoxLayout()
        other.addLayout(self.form_holder, 1)
        self.other_button = QPushButton(_("保存这个值"))
        self.other_button.setObjectName("save_other_value")
        self.other_button.clicked.connect(self.save_other)
        other.addWidget(self.other_button)
        detail.addWidget(self.other_box)
        detail.addStretch(1)  # spare height below the decision, not between its parts
        self.form: FormWidget | None = None

        self.empty = QLabel(_("没有需要处理的冲突。"))
        self.empty.setObjectName("no_conflicts")
        self.empty.setStyleSheet("color: #2e7d32; padding: 8px;")
        splitter = QSplitter()
        splitter.setOrientation(splitter.orientation().Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([200, 300])
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        self.detail.hide()
        self._busy = False

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(
            lambda: conflict_rows(db), self._on_rows, self._on_error, key="sync-conflicts"
        )

    def _on_rows(self, rows: list[dict[str, Any]]) -> None:
        keep = self.current_row()
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        target = 0
        if keep is not None:
            target = next((i for i, r in enumerate(rows) if r["id"] == keep["id"]), 0)
        if rows:
            self.table.selectRow(target)
        self._show_current()
        self.counted.emit(len(rows))

    def _on_error(self, exc: BaseException) -> None:
        self.ctx.show_error(self, describe_error(exc))

    def current_row(self) -> dict[str, Any] | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _show_current(self) -> None:
        row = self.current_row()
        self.detail.setVisible(row is not None)
        if row is None:
            return
        self.heading.setText(
            _("{household} · {what} · {field}").format(
                household=row["household"] or _("（农户）"),
                what=row["what"],
                field=row["field_label"],
            )
        )
        self.winner_card.show_side(row, "winner")
        self.loser_card.show_side(row, "loser")
        if self.form is not None:
            self.form_holder.removeWidget(self.form)
            self.form.deleteLater()
        self.form = FormWidget(row["table"], [FieldSpec(row["field"], row["kind"])], columns=1)
        self.form.setObjectName("other_value_form")
        self.form.set_values({row["field"]: row["winner_value"]})
        self.form_holder.addWidget(self.form)

    # ------------------------------------------------------------------ deciding
    def keep(self, side: str) -> None:
        row = self.current_row()
        if row is not None:
            self._resolve(row, row[f"{side}_value"])

    def save_other(self) -> None:
        row = self.current_row()
        if row is None or self.form is None:
            return
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        self._resolve(row, values.get(row["field"]))

    def _resolve(self, row: dict[str, Any], value: Any, accept_warnings: bool = False) -> None:
        """Save the decision on the worker. A value that only warns is shown to the cadre
        first (the same question every form asks); confirming saves it as it is."""
        if self._busy:
            return
        self._busy = True
        db, form = self.ctx.db, self.form

        def done(change_id: str) -> None:
            self._busy = False
            change = Change(
                row["table"], row["row_id"], "update", (row["field"],), row["household_id"]
            )
            self.ctx.data_changed.emit([change])
            self.resolved.emit(change_id)
            self.load()

        def failed(exc: BaseException) -> None:
            self._busy = False
            if not isinstance(exc, ValidationFailed):
                self.ctx.show_error(self, describe_error(exc))
                return
            only_warnings = not any(p.severity == "error" for p in exc.problems)
            if only_warnings and not accept_warnings:
                if self.ctx.confirm_warnings(self, exc.problems, exc.table):
                    self._resolve(row, value, accept_warnings=True)
                elif form is not None:  # the cadre went back: the warnings stay in view
                    form.show_problems(exc.problems)
                return
            if form is not None:
                form.show_problems(exc.problems)
            if form is None or not any(p.field in form.errors for p in exc.problems):
                self.ctx.show_error(self, problems_text(exc.table, exc.problems))

        self.ctx.runner.submit(
            lambda: resolve_conflict(db, row["id"], value, accept_warnings=accept_warnings),
            done,
            failed,
        )
