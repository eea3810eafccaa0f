"""基本信息: household fields, housing, utilities, land, organisation.

Edits are compared with what was loaded and only changed fields are written, against the field
stamps seen at load time (so a concurrent edit elsewhere becomes a recorded conflict, not a silent
overwrite). Data-check findings appear beside the fields they concern.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.core.services.errors import FieldProblem
from desktop.ui.draft_keeper import DraftKeeper
from desktop.ui.drafts import Draft
from desktop.ui.forms import FieldSpec as F
from desktop.ui.forms import FormWidget

SECTIONS: list[tuple[str, list[F]]] = [
    (
        "户基本情况",
        [
            F("number", required=True),
            F("phone"),
            F("bank_name"),
            F("bank_account"),
            F("standard", "code:standard"),
            F("category", "code:category"),
            F("status", "code:household_status", required=True),
            F("identified_year", "int"),
            F("exit_year", "int"),
            F("monitoring_kind", "code:monitoring_kind"),
            F("monitoring_since", "date"),
            F("risk_type", "code:monitoring_risk"),
        ],
    ),
    (
        "住房",
        [
            F("housing_area", "float"),
            F("housing_structure", "code:housing_structure"),
            F("built_year", "int"),
            F("danger_grade", "code:danger_grade"),
            F("relocated", "check"),
        ],
    ),
    (
        "生活条件",
        [
            F("power_living", "bool"),
            F("power_production", "bool"),
            F("water_source", "code:water_source"),
            F("water_safe", "bool"),
            F("water_difficult", "bool"),
            F("fuel", "code:fuel"),
            F("sanitary_toilet", "bool"),
            F("road_distance_km", "float"),
            F("road_type", "code:road_type"),
        ],
    ),
    (
        "土地（亩）",
        [
            F("land_cultivated", "float"),
            F("land_irrigated", "float"),
            F("land_paddy", "float"),
            F("land_dry", "float"),
            F("land_forest", "float"),
            F("land_orchard", "float"),
            F("land_water_surface", "float"),
            F("land_pasture", "float"),
            F("land_returned_forest", "float"),
        ],
    ),
    (
        "组织与其他",
        [
            F("cooperative_member", "bool"),
            F("industry_type"),
            F("mutual_fund", "bool"),
            F("owns_car", "bool"),
            F("owns_commercial_housing", "bool"),
            F("runs_business", "bool"),
            F("away_over_year", "bool"),
            F("note", "multiline", span=2),
        ],
    ),
]


class BasicTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.detail: HouseholdDetail | None = None
        self.dirty = False
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        column = QVBoxLayout(body)
        self.forms: list[FormWidget] = []
        for title, specs in SECTIONS:
            box = QGroupBox(_(title))
            inner = QVBoxLayout(box)
            form = FormWidget("household", specs, columns=3 if len(specs) > 6 else 2)
            form.changed.connect(self._on_changed)
            inner.addWidget(form)
            column.addWidget(box)
            self.forms.append(form)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        buttons = QHBoxLayout()
        self.state = QLabel()
        buttons.addWidget(self.state, 1)
        self.revert_button = QPushButton(_("放弃修改"))
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(_("保存"))
        self.save_button.setObjectName("save_household")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        self.keeper = DraftKeeper(
            self.ctx,
            f"household:{view.household_id}",
            "household_form",
            view.household_id,
            self.raw_values,
            self,
        )
        self.router = _Router(self)
        self._set_dirty(False)

    # ------------------------------------------------------------------ state
    def is_dirty(self) -> bool:
        return self.dirty

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)
        self.state.setText(_("有修改尚未保存") if dirty else "")

    def _on_changed(self) -> None:
        self._set_dirty(True)
        self.keeper.mark_dirty()

    def flush_draft(self) -> None:
        self.keeper.save_now()

    def raw_values(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for form in self.forms:
            raw.update(form.raw_values())
        return raw

    # ------------------------------------------------------------------ loading
    def show_detail(self, detail: HouseholdDetail) -> None:
        self.detail = detail
        if self.dirty:
            return  # keep what the cadre is typing; the save compares with the new values
        for form in self.forms:
            form.set_values(detail.household)
        self.show_findings()

    def show_findings(self) -> None:
        if self.detail is None:
            return
        problems = [
            FieldProblem(f["field"], f["message"], f["severity"], f["rule"])
            for f in self.detail.findings
            if f["field"] and not f["member_id"]
        ]
        self.distribute(problems, general=False)

    def distribute(self, problems: list[FieldProblem], general: bool = True) -> None:
        """Show each problem on the form holding its field; the rest on the first form."""
        placed: set[int] = set()
        for form in self.forms:
            mine = [p for p in problems if p.field in form.specs]
            placed.update(id(p) for p in mine)
            form.show_problems(mine)
        rest = [p for p in problems if id(p) not in placed]
        if rest and general:
            self.forms[0].show_problems(
                [p for p in problems if p.field in self.forms[0].specs] + rest
            )

    def restore_draft(self, draft: Draft) -> None:
        for form in self.forms:
            form.set_raw_values(draft.payload)
        self._set_dirty(True)

    def revert(self) -> None:
        self._set_dirty(False)
        self.keeper.discard()
        if self.detail is not None:
            self.show_detail(self.detail)

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        if self.detail is None:
            return
        values: dict[str, Any] = {}
        problems: list[FieldProblem] = []
        for form in self.forms:
            form_values, form_problems = form.values()
            values.update(form_values)
            problems += form_problems
        if problems:
            self.distribute(problems)
            return
        current = self.detail.household
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        if not changed:
            self._set_dirty(False)
            self.keeper.discard()
            return
        household_id = self.view.household_id
        base = {k: self.detail.stamps[k] for k in changed if k in self.detail.stamps}
        self.save_button.setEnabled(False)

        def done(_result: Any) -> None:
            self._set_dirty(False)
            self.keeper.discard()
            for form in self.forms:
                form.clear_problems()

        self.ctx.run_op(
            _("修改户信息"),
            lambda uow: uow.update("household", household_id, changed, base),
            done,
            form=self.router,
            parent=self,
            table="household",
            on_failed=lambda: self.save_button.setEnabled(True),
        )


class _Router(FormWidget):
    """Lets run_op show problems across the tab's several forms."""

    def __init__(self, tab: BasicTab) -> None:
        super().__init__("household", [], parent=tab)
        self.tab = tab
        self.hide()

    def show_problems(self, problems: Any) -> None:
        self.tab.distribute(list(problems))
