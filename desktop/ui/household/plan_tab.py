"""致贫原因与帮扶计划: causes, the plan and its results, and the helper history (a change of
helper is a new dated line, never an overwrite — 不脱贫不脱钩)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.core.queries.regions import list_helpers
from desktop.core.services import households as services
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel

CAUSE_FIELDS = [
    FieldSpec("main_cause", "code:cause"),
    FieldSpec("other_cause_1", "code:cause"),
    FieldSpec("other_cause_2", "code:cause"),
    FieldSpec("plan", "multiline", span=3),
    FieldSpec("outcome", "multiline", span=3),
]


class PlanTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.detail: HouseholdDetail | None = None
        layout = QVBoxLayout(self)
        causes = QGroupBox(_("致贫原因与脱贫计划"))
        inner = QVBoxLayout(causes)
        self.form = FormWidget("household", CAUSE_FIELDS, columns=3)
        inner.addWidget(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.save_button = QPushButton(_("保存"))
        self.save_button.setObjectName("save_plan")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        inner.addLayout(row)
        layout.addWidget(causes)

        helpers = QGroupBox(_("帮扶责任人（历次安排）"))
        inner = QVBoxLayout(helpers)
        self.model = RowsTableModel(
            [
                RowColumn(_("姓名"), lambda r: r["name"]),
                RowColumn(_("单位"), lambda r: r["unit"]),
                RowColumn(_("联系电话"), lambda r: r["phone"]),
                RowColumn(_("开始日期"), lambda r: str(r["start_date"] or "")),
                RowColumn(_("结束日期"), lambda r: str(r["end_date"] or "")),
            ],
            self,
        )
        table = QTableView()
        table.setModel(self.model)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        inner.addWidget(table)
        self.assign_form = FormWidget(
            "helper_assignment",
            [
                FieldSpec("helper_id", "choice", label="新的帮扶责任人", required=True),
                FieldSpec("start_date", "date", required=True),
            ],
            columns=2,
        )
        self.assign_form.set_values({"start_date": date.today()})
        inner.addWidget(self.assign_form)
        row = QHBoxLayout()
        row.addStretch(1)
        self.assign_button = QPushButton(_("更换帮扶责任人"))
        self.assign_button.clicked.connect(self.assign)
        row.addWidget(self.assign_button)
        inner.addLayout(row)
        layout.addWidget(helpers)
        db = self.ctx.db
        self.ctx.runner.submit(lambda: list_helpers(db), self._on_helpers)

    def _on_helpers(self, helpers: list[tuple[str, str, str]]) -> None:
        options = [(None, "")] + [(h[0], f"{h[1]}（{h[2]}）" if h[2] else h[1]) for h in helpers]
        self.assign_form.set_options("helper_id", options)

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.detail = detail
        self.form.set_values(detail.household)
        self.model.set_rows(detail.helpers)

    def save(self) -> None:
        if self.detail is None:
            return
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        changed = {k: v for k, v in values.items() if self.detail.household.get(k) != v}
        if not changed:
            return
        household_id = self.view.household_id
        base = {k: self.detail.stamps[k] for k in changed}
        self.form.clear_problems()
        self.ctx.run_op(
            _("修改致贫原因与帮扶计划"),
            lambda uow: uow.update("household", household_id, changed, base),
            form=self.form,
            parent=self,
            table="household",
        )

    def assign(self) -> None:
        values, problems = self.assign_form.values()
        if problems:
            self.assign_form.show_problems(problems)
            return
        household_id = self.view.household_id
        self.assign_form.clear_problems()
        self.ctx.run_op(
            _("更换帮扶责任人"),
            lambda uow: services.assign_helper(
                uow, household_id, values["helper_id"], values["start_date"]
            ),
            form=self.assign_form,
            parent=self,
        )
