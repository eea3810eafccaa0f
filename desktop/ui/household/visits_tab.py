"""走访记录: the household's visits, newest first, with the checklist summarised."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.core.queries.labels import display_value, field_label
from desktop.ui.drafts import Draft
from desktop.ui.household.visit_dialog import CHECKLIST, VisitDialog
from desktop.ui.models.rows import RowColumn, RowsTableModel

TEXT_FIELDS = (
    "income_spending",
    "living_conditions",
    "health_schooling",
    "policies_received",
    "wishes",
    "notes",
    "follow_ups",
)


def checklist_summary(visit: dict[str, Any]) -> str:
    missing = [field_label("visit", s.name) for s in CHECKLIST if visit.get(s.name) is False]
    unknown = [s.name for s in CHECKLIST if visit.get(s.name) is None]
    if missing:
        return _("未保障：{items}").format(items="、".join(missing))
    if len(unknown) == len(CHECKLIST):
        return _("未填写")
    return _("均有保障") if not unknown else _("部分未填写")


def visit_columns() -> list[RowColumn]:
    return [
        RowColumn(_("日期"), lambda v: str(v["visit_date"])),
        RowColumn(_("走访人"), lambda v: v.get("helper_name") or ""),
        RowColumn(_("目的"), lambda v: codes.label("visit_purpose", v["purpose"])),
        RowColumn(
            _("两不愁三保障"),
            checklist_summary,
            lambda v: "#c62828" if any(v.get(s.name) is False for s in CHECKLIST) else None,
        ),
        RowColumn(_("后续跟进"), lambda v: (v["follow_ups"] or "").replace("\n", " ")[:40]),
        RowColumn(_("照片"), lambda v: str(v.get("photo_count") or "")),
        RowColumn(_("农户确认"), lambda v: _("已确认") if v["confirmed"] else ""),
    ]


class VisitsTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        layout = QVBoxLayout(self)
        self.model = RowsTableModel(visit_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("visits_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._show_visit)
        layout.addWidget(self.table, 2)
        self.details = QLabel()
        self.details.setObjectName("visit_details")
        self.details.setWordWrap(True)
        self.details.setStyleSheet("padding: 6px; background: #fafafa; border: 1px solid #ddd;")
        layout.addWidget(self.details, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("新增走访记录"))
        self.add_button.setObjectName("add_visit")
        self.add_button.clicked.connect(lambda: self.open_dialog())
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.model.set_rows(detail.visits)
        self.details.setText(
            _("点击一条走访记录查看详细内容。") if detail.visits else _("还没有走访记录。")
        )

    def _show_visit(self, index: Any) -> None:
        visit = self.model.row_at(index.row())
        if visit is None:
            return
        lines = [f"<b>{visit['visit_date']}</b> {visit.get('helper_name') or ''}"]
        for name in TEXT_FIELDS:
            if visit.get(name):
                lines.append(f"<b>{field_label('visit', name)}：</b>{visit[name]}")
        checks = "；".join(
            f"{field_label('visit', s.name)} {display_value('visit', s.name, visit.get(s.name)) or '—'}"
            for s in CHECKLIST
        )
        lines.append(checks)
        self.details.setText("<br>".join(lines))

    def open_dialog(self, draft: Draft | None = None) -> VisitDialog:
        dialog = VisitDialog(self.ctx, self.view.household_id, self, draft)
        dialog.show()
        return dialog
