"""收入: yearly income items and per-capita net income against the year's line and band."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.core.rules import income as income_rules
from desktop.core.services import households as services
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel

LEVEL_COLOURS = {"below_line": "#c62828", "within_band": "#b26a00", "above_band": "#2e7d32"}
ITEMS = ("wage", "business", "property", "transfer", "business_cost")


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def income_columns(size_of: Any) -> list[RowColumn]:
    def verdict(row: dict[str, Any]) -> income_rules.IncomeVerdict:
        return income_rules.assess(row["year"], row, size_of())

    return [
        RowColumn(_("年度"), lambda r: str(r["year"])),
        RowColumn(_("工资性"), lambda r: _money(r["wage"])),
        RowColumn(_("生产经营性"), lambda r: _money(r["business"])),
        RowColumn(_("财产性"), lambda r: _money(r["property"])),
        RowColumn(_("转移性"), lambda r: _money(r["transfer"])),
        RowColumn(_("经营支出"), lambda r: _money(r["business_cost"])),
        RowColumn(_("家庭纯收入"), lambda r: _money(income_rules.net_income(r))),
        RowColumn(
            _("人均纯收入"),
            lambda r: _money(verdict(r).per_capita),
            lambda r: LEVEL_COLOURS.get(verdict(r).level),
        ),
        RowColumn(_("贫困线"), lambda r: _money(verdict(r).line)),
        RowColumn(_("监测线"), lambda r: _money(verdict(r).band)),
        RowColumn(
            _("结论"),
            lambda r: verdict(r).message,
            lambda r: LEVEL_COLOURS.get(verdict(r).level),
        ),
    ]


class IncomeTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.detail: HouseholdDetail | None = None
        layout = QVBoxLayout(self)
        self.model = RowsTableModel(income_columns(self.household_size), self)
        self.table = QTableView()
        self.table.setObjectName("income_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._pick)
        layout.addWidget(self.table, 1)

        box = QGroupBox(_("录入或修改某一年度的收入（元）"))
        inner = QVBoxLayout(box)
        specs = [FieldSpec("year", "int", required=True)] + [FieldSpec(n, "float") for n in ITEMS]
        self.form = FormWidget("income", specs, columns=3)
        self.form.set_values({"year": date.today().year - 1})
        self.form.changed.connect(self._recompute)
        inner.addWidget(self.form)
        row = QHBoxLayout()
        self.result = QLabel()
        self.result.setObjectName("income_result")
        self.result.setWordWrap(True)
        row.addWidget(self.result, 1)
        self.save_button = QPushButton(_("保存该年度收入"))
        self.save_button.setObjectName("save_income")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        inner.addLayout(row)
        layout.addWidget(box)

    def household_size(self) -> int:
        return int(self.detail.household["size"]) if self.detail else 0

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.detail = detail
        self.model.set_rows(detail.incomes)
        self._recompute()

    def _pick(self, index: Any) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.form.set_values(row)
            self._recompute()

    def _recompute(self) -> None:
        values, problems = self.form.values()
        if problems or values.get("year") is None:
            self.result.setText("")
            return
        verdict = income_rules.assess(values["year"], values, self.household_size())
        capita = "—" if verdict.per_capita is None else f"{verdict.per_capita:,.0f}"
        self.result.setText(
            _("家庭纯收入 {net} 元，{size} 人，人均纯收入 {capita} 元：{message}").format(
                net=f"{verdict.net:,.0f}",
                size=self.household_size(),
                capita=capita,
                message=verdict.message,
            )
        )
        self.result.setStyleSheet(f"color: {LEVEL_COLOURS.get(verdict.level, '#333')};")

    def save(self) -> None:
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        year = values.pop("year")
        items = {name: values.get(name) or 0.0 for name in ITEMS}
        household_id = self.view.household_id
        self.form.clear_problems()
        self.ctx.run_op(
            _("保存 {year} 年收入").format(year=year),
            lambda uow: services.save_income(uow, household_id, year, items),
            form=self.form,
            parent=self,
        )
