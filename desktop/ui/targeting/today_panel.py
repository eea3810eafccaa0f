"""今日待办: visits due, commitments due or overdue, monitoring decisions near the 15-day limit and
procedure steps waiting, for every household on this laptop (``targeting.today_view``).

It lives in a dock beside the household list, so it can stay open while the cadre works through
it; double-clicking a line opens that household. It is re-read after every saved change, so a
line disappears as soon as the work it asks for is recorded.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.targeting import Reminder, TodayView, today_view
from desktop.core.targeting.reminders import KIND_LABELS
from desktop.ui.context import AppContext
from desktop.ui.models.rows import RowColumn, RowsTableModel

RED, AMBER = "#c62828", "#b26a00"
RELOAD_DELAY_MS = 300  # a burst of saves re-reads the list once


def _colour(row: dict[str, Any]) -> str | None:
    reminder: Reminder = row["reminder"]
    if reminder.overdue:
        return RED
    return AMBER if reminder.kind == "monitoring" else None


def reminder_columns() -> list[RowColumn]:
    def number(row: dict[str, Any]) -> str:
        return _("户编号 {number}").format(number=row["reminder"].number)

    return [
        RowColumn(_("类别"), lambda r: _(KIND_LABELS[r["reminder"].kind]), _colour),
        RowColumn(_("户主"), lambda r: r["reminder"].head_name or "", None, number),
        RowColumn(
            _("说明"), lambda r: r["reminder"].message, _colour, lambda r: r["reminder"].message
        ),
    ]


class TodayPanel(QWidget):
    open_household = Signal(str, str)  # household id, tab title
    loaded = Signal(object)  # TodayView

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.view: TodayView | None = None
        self.setObjectName("today_panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel(_("正在读取…"))
        self.summary.setObjectName("today_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("today_kind")
        self.kind_combo.addItem(_("全部"), None)
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(_(label), kind)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._show())
        row.addWidget(self.kind_combo, 1)
        self.refresh_button = QPushButton(_("刷新"))
        self.refresh_button.clicked.connect(self.load)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        self.model = RowsTableModel(reminder_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("today_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        layout.addWidget(self.table)
        hint = QLabel(_("双击一行打开这一户。"))
        hint.setStyleSheet("color: #666;")
        layout.addWidget(hint)
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_DELAY_MS)
        self._reload.timeout.connect(self.load)
        ctx.data_changed.connect(self._changed)

    def _changed(self, _changes: object) -> None:
        """Re-read after saves only while the list is on screen (showing it reads it anyway)."""
        if self.isVisible():
            self._reload.start()

    def load(self) -> None:
        db = self.ctx.db
        self.ctx.runner.submit(lambda: today_view(db), self._on_view, key="today-view")

    def _on_view(self, view: TodayView) -> None:
        self.view = view
        counts = [
            _("{label} {n} 项").format(label=_(label), n=len(view.of(kind)))
            for kind, label in KIND_LABELS.items()
        ]
        overdue = sum(1 for r in view.reminders if r.overdue)
        text = _("{date}：共 {n} 项待办（{counts}）").format(
            date=view.today, n=len(view.reminders), counts="，".join(counts)
        )
        if overdue:
            text += _("，其中 {n} 项已过期").format(n=overdue)
        self.summary.setText(text + "。")
        self.summary.setStyleSheet(f"color: {RED};" if overdue else "")
        self._show()
        self.loaded.emit(view)

    def _show(self) -> None:
        kind = self.kind_combo.currentData()
        reminders = self.view.reminders if self.view is not None else []
        self.model.set_rows([{"reminder": r} for r in reminders if kind is None or r.kind == kind])

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            reminder: Reminder = row["reminder"]
            self.open_household.emit(
                reminder.household_id, f"{reminder.head_name or ''} {reminder.number}".strip()
            )

    def reminder_rows(self) -> list[Reminder]:
        return [r["reminder"] for r in self.model.rows]
