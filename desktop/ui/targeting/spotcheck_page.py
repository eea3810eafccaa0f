"""抽查: draw a reproducible sample of a village's households and record each one's result.

The sample is drawn by the core (``draw_sample``: seeded, over households sorted by number), so
the same village, size and seed always give the same households — the page says so and shows the
sample's id, which the results are filed under. Results are synced, append-only records written
through ``run_op``; the latest one per household is shown.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.services.errors import FieldProblem, ServiceError, ValidationFailed
from desktop.core.targeting import Sample, draw_sample, record_spot_check, sample_results
from desktop.core.targeting.spotcheck import RESULTS, SpotCheckResult, result_label
from desktop.ui.context import AppContext
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.targeting.village_pages import list_table

RESULT_COLOURS = {"match": "#2e7d32", "mismatch": "#c62828", "unverified": "#b26a00"}


def result_fields() -> list[FieldSpec]:
    """Built when the page is, so the result labels are in the interface language."""
    return [
        FieldSpec(
            "result",
            "choice",
            label="抽查结果",
            required=True,
            options=tuple((code, result_label(code)) for code in RESULTS),
        ),
        FieldSpec("drawn_by", label="抽查单位或人员"),
        FieldSpec("check_date", "date", label="抽查日期", required=True),
        FieldSpec("note", "multiline", label="情况说明", span=3),
    ]


#: Refusals of record_spot_check that are about one field of the form.
FIELD_OF_REFUSAL = {
    "请填写抽查单位或人员。": "drawn_by",
    "结果为不符合时，请在备注中写明不符合的情况。": "note",
}


def default_seed(today: date | None = None) -> int:
    """Today as YYYYMMDD: easy to write in the minutes, so anyone can re-draw the sample."""
    return int((today or date.today()).strftime("%Y%m%d"))


class SpotCheckPage(QWidget):
    open_household = Signal(str, str)

    def __init__(self, ctx: AppContext, village: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.village = ctx, village
        self.sample: Sample | None = None
        self.setObjectName("spotcheck_page")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("抽取户数：")))
        self.size_box = QSpinBox()
        self.size_box.setObjectName("sample_size")
        self.size_box.setRange(1, 9999)
        self.size_box.setValue(5)
        row.addWidget(self.size_box)
        row.addWidget(QLabel(_("随机种子：")))
        self.seed_box = QSpinBox()
        self.seed_box.setObjectName("sample_seed")
        self.seed_box.setRange(0, 2_147_483_647)
        self.seed_box.setValue(default_seed())
        row.addWidget(self.seed_box)
        row.addWidget(QLabel(_("范围：")))
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("sample_status")
        self.status_combo.addItem(_("全部农户"), None)
        for entry in codes.codes("household_status"):
            self.status_combo.addItem(entry.label(), entry.code)
        row.addWidget(self.status_combo)
        self.draw_button = QPushButton(_("抽取"))
        self.draw_button.setObjectName("draw_sample")
        self.draw_button.clicked.connect(self.draw)
        row.addWidget(self.draw_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.info = QLabel(
            _("同一个村、同样的户数、范围和种子，任何人都会抽到同样的农户，可以复核。")
        )
        self.info.setObjectName("sample_info")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.model = RowsTableModel(
            [
                RowColumn(_("序号"), lambda r: str(r["position"])),
                RowColumn(_("户编号"), lambda r: r["result"].number),
                RowColumn(_("户主"), lambda r: r["result"].head_name),
                RowColumn(
                    _("抽查结果"),
                    lambda r: result_label(r["result"].result) if r["result"].result else "",
                    lambda r: RESULT_COLOURS.get(r["result"].result or ""),
                ),
                RowColumn(_("抽查日期"), lambda r: str(r["result"].check_date or "")),
                RowColumn(
                    _("情况说明"), lambda r: r["result"].note, None, lambda r: r["result"].note
                ),
            ],
            self,
        )
        self.table = list_table(self.model, "sample_table")
        self.table.doubleClicked.connect(self._open)
        layout.addWidget(self.table, 1)
        box = QGroupBox(_("记录所选农户的抽查结果"))
        inner = QVBoxLayout(box)
        self.form = FormWidget("spot_check", result_fields(), columns=3)
        self.form.set_values({"check_date": date.today()})
        self.form.widgets["note"].setMaximumHeight(70)
        inner.addWidget(self.form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.record_button = QPushButton(_("记录结果"))
        self.record_button.setObjectName("record_spot_check")
        self.record_button.clicked.connect(self.record)
        self.record_button.setEnabled(False)
        buttons.addWidget(self.record_button)
        inner.addLayout(buttons)
        layout.addWidget(box)

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        db, village = self.ctx.db, self.village
        size, seed = self.size_box.value(), self.seed_box.value()
        status = self.status_combo.currentData()
        statuses = (status,) if status else None

        def work() -> tuple[Sample, list[SpotCheckResult]]:
            sample = draw_sample(db, size=size, seed=seed, village=village, statuses=statuses)
            return sample, sample_results(db, sample)

        def failed(exc: BaseException) -> None:
            self.info.setStyleSheet("color: #c62828;")
            self.info.setText(str(exc))

        self.ctx.runner.submit(work, self._on_sample, failed, key=f"sample-{village}")

    def _on_sample(self, found: tuple[Sample, list[SpotCheckResult]]) -> None:
        sample, results = found
        self.sample = sample
        self.info.setStyleSheet("")
        self.info.setText(
            _(
                "样本编号 {id}：从 {population} 户中用种子 {seed} 抽取 {size} 户。"
                "同样的村、户数、范围和种子会抽到同样的农户。"
            ).format(
                id=sample.sample_id,
                population=sample.population,
                seed=sample.seed,
                size=sample.size,
            )
        )
        self._show(results)
        self.record_button.setEnabled(True)

    def _show(self, results: list[SpotCheckResult]) -> None:
        current = self.table.currentIndex().row()
        self.model.set_rows([{"position": n, "result": r} for n, r in enumerate(results, start=1)])
        if results:
            self.table.setCurrentIndex(self.model.index(max(current, 0), 0))

    def drawn_ids(self) -> list[str]:
        return [r["result"].household_id for r in self.model.rows]

    # ------------------------------------------------------------------ recording
    def record(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row())
        if row is None or self.sample is None:
            self.ctx.show_error(self, _("请先抽取样本，并在表中选择一户。"))
            return
        values, problems = self.form.values()
        if problems:
            self.form.show_problems(problems)
            return
        self.form.clear_problems()
        sample, household_id = self.sample, row["result"].household_id

        def op(uow: Any) -> str:
            try:
                return record_spot_check(
                    uow,
                    household_id,
                    drawn_by=values.get("drawn_by") or "",
                    seed=sample.seed,
                    sample_id=sample.sample_id,
                    check_date=values["check_date"],
                    result=values["result"],
                    note=values.get("note"),
                )
            except ValidationFailed:
                raise
            except ServiceError as exc:
                field = next(
                    (f for msg, f in FIELD_OF_REFUSAL.items() if str(exc) == _(msg)), "result"
                )
                raise ValidationFailed("spot_check", [FieldProblem(field, str(exc))]) from None

        db = self.ctx.db

        def done(_record_id: str) -> None:
            self.form.set_values({"note": None})
            self.ctx.runner.submit(
                lambda: sample_results(db, sample), self._show, key=f"sample-{self.village}"
            )

        self.ctx.run_op(
            _("记录抽查结果"),
            op,
            done,
            form=self.form,
            parent=self,
            table="spot_check",
        )

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            r: SpotCheckResult = row["result"]
            self.open_household.emit(r.household_id, f"{r.head_name} {r.number}")
