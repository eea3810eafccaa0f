"""变更历史: who changed what, when and on which laptop, from the change log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.queries.history import HistoryEntry, history
from desktop.ui.models.rows import RowColumn, RowsTableModel


def history_columns() -> list[RowColumn]:
    return [
        RowColumn(_("时间"), lambda e: e["recorded_at"].replace("T", " ")[:19]),
        RowColumn(_("操作人"), lambda e: e["cadre"] or _("（未登记）")),
        RowColumn(_("设备"), lambda e: _("本机") if e["this_device"] else e["device_id"][:8]),
        RowColumn(_("操作"), lambda e: e["op_label"]),
        RowColumn(_("对象"), lambda e: e["what"]),
        RowColumn(_("项目"), lambda e: e["field_label"]),
        RowColumn(_("新值"), lambda e: e["value"]),
        RowColumn(
            _("上报"),
            lambda e: _("已上报") if e["synced"] else _("未上报"),
            lambda e: None if e["synced"] else "#b26a00",
        ),
    ]


class HistoryTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        layout = QVBoxLayout(self)
        note = QLabel(_("每一次修改都会留下记录，不能删除。"))
        note.setStyleSheet("color: #666;")
        layout.addWidget(note)
        self.model = RowsTableModel(history_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("history_table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)

    def load(self) -> None:
        db, household_id = self.ctx.db, self.view.household_id
        self.ctx.runner.submit(
            lambda: history(db, household_id), self._on_history, key=f"history-{household_id}"
        )

    def _on_history(self, entries: list[HistoryEntry]) -> None:
        self.model.set_rows([asdict(e) for e in entries])
