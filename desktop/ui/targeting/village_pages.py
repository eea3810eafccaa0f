"""A village's applicants ranked by the scoring rubric, and its households' eligibility flags.

Both are read on the worker from ``rank_applicants`` / ``village_flags``; choosing a line shows
the breakdown (or the evidence) below it, so a village meeting can see why a household ranks
where it does. Double-clicking opens the household.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.targeting import HouseholdFlags, HouseholdScore, rank_applicants, village_flags
from desktop.ui.context import AppContext
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.targeting.answer_dialog import AnswerControls
from desktop.ui.targeting.assessment_tab import breakdown_table, flags_html, score_text

RED, GREEN = "#c62828", "#2e7d32"


def list_table(model: RowsTableModel, name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class RankingPage(QWidget):
    """评分排序: applicants (识别中) by score, most in need first; the breakdown of the chosen."""

    open_household = Signal(str, str)

    def __init__(self, ctx: AppContext, village: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.village = ctx, village
        self.setObjectName("ranking_page")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.summary = QLabel(_("正在读取…"))
        self.summary.setObjectName("ranking_summary")
        row.addWidget(self.summary, 1)
        self.all_box = QCheckBox(_("包括所有农户（不只是识别中的申请户）"))
        self.all_box.setObjectName("rank_everyone")
        self.all_box.toggled.connect(lambda _on: self.load())
        row.addWidget(self.all_box)
        layout.addLayout(row)
        self.model = RowsTableModel(
            [
                RowColumn(_("名次"), lambda r: str(r["score"].rank)),
                RowColumn(_("户编号"), lambda r: r["score"].number),
                RowColumn(_("户主"), lambda r: r["score"].head_name),
                RowColumn(_("总分"), lambda r: f"{r['score'].total:g}"),
                RowColumn(
                    _("数据"),
                    lambda r: _("完整") if r["score"].complete else _("需手工评定"),
                    lambda r: None if r["score"].complete else "#b26a00",
                ),
            ],
            self,
        )
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = list_table(self.model, "ranking_table")
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        self.table.doubleClicked.connect(self._open)
        splitter.addWidget(self.table)
        lower = QWidget()
        inner = QVBoxLayout(lower)
        inner.setContentsMargins(0, 0, 0, 0)
        self.detail = QLabel(_("选择一户查看评分明细。"))
        self.detail.setObjectName("ranking_detail")
        inner.addWidget(self.detail)
        self.breakdown, self.breakdown_model = breakdown_table(self)
        self.breakdown.setObjectName("ranking_breakdown")
        inner.addWidget(self.breakdown)
        self.answers = AnswerControls(
            ctx, self.breakdown, self.breakdown_model, self.chosen_household, self
        )
        inner.addWidget(self.answers)
        splitter.addWidget(lower)
        layout.addWidget(splitter, 1)
        self._keep: str | None = None  # the household to show again after a re-rank
        self._loaded = False
        ctx.data_changed.connect(self._changed)

    def chosen_household(self) -> str | None:
        row = self.model.row_at(self.table.currentIndex().row())
        return row["score"].household_id if row is not None else None

    def _changed(self, changes: list[Any]) -> None:
        """A hand answer saved (or undone) anywhere re-ranks the village."""
        if self._loaded and any(c.table == "score_answer" for c in changes):
            self.load()

    def load(self) -> None:
        db, village = self.ctx.db, self.village
        self._loaded = True
        self._keep = self.chosen_household() or self._keep
        statuses = None if self.all_box.isChecked() else ("identifying",)
        self.ctx.runner.submit(
            lambda: rank_applicants(db, village, statuses=statuses),
            self._on_scores,
            key=f"rank-{village}",
        )

    def _on_scores(self, scores: list[HouseholdScore]) -> None:
        self.model.set_rows([{"score": s} for s in scores])
        self.breakdown_model.set_rows([])
        who = _("农户") if self.all_box.isChecked() else _("识别中的申请户")
        self.summary.setText(
            _("共 {n} 户{who}，按得分从高到低排列（分数越高越困难）。").format(
                n=len(scores), who=who
            )
            if scores
            else _("本村没有{who}。").format(who=who)
        )
        if scores:
            kept = next((n for n, s in enumerate(scores) if s.household_id == self._keep), 0)
            self.table.setCurrentIndex(self.model.index(kept, 0))

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row())
        if row is None:
            return
        score: HouseholdScore = row["score"]
        self.detail.setText(
            _("{head}（{number}）：{text}").format(
                head=score.head_name, number=score.number, text=score_text(score)
            )
        )
        self.breakdown_model.set_rows([{"line": line} for line in score.breakdown])

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            score: HouseholdScore = row["score"]
            self.open_household.emit(score.household_id, f"{score.head_name} {score.number}")


class FlagsPage(QWidget):
    """四进七不进: every household of the village with the conditions its data raise."""

    open_household = Signal(str, str)

    def __init__(self, ctx: AppContext, village: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.village = ctx, village
        self.setObjectName("flags_page")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.summary = QLabel(_("正在读取…"))
        self.summary.setObjectName("flags_summary")
        row.addWidget(self.summary, 1)
        self.flagged_box = QCheckBox(_("只看有提示的农户"))
        self.flagged_box.setChecked(True)
        self.flagged_box.toggled.connect(lambda _on: self._show())
        row.addWidget(self.flagged_box)
        layout.addLayout(row)
        self.all: list[HouseholdFlags] = []
        self.model = RowsTableModel(
            [
                RowColumn(_("户编号"), lambda r: r["flags"].number),
                RowColumn(_("户主"), lambda r: r["flags"].head_name),
                RowColumn(_("状态"), lambda r: codes.label("household_status", r["flags"].status)),
                RowColumn(
                    _("四进"),
                    lambda r: "、".join(f.title for f in r["flags"].includes),
                    lambda _r: GREEN,
                ),
                RowColumn(
                    _("七不进"),
                    lambda r: "、".join(f.title for f in r["flags"].excludes),
                    lambda _r: RED,
                ),
            ],
            self,
        )
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = list_table(self.model, "flags_table")
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        self.table.doubleClicked.connect(self._open)
        splitter.addWidget(self.table)
        self.evidence = QLabel(_("选择一户查看依据。"))
        self.evidence.setObjectName("flags_evidence")
        self.evidence.setWordWrap(True)
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.evidence.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        splitter.addWidget(self.evidence)
        splitter.setSizes([380, 200])
        layout.addWidget(splitter, 1)

    def load(self) -> None:
        db, village = self.ctx.db, self.village
        self.ctx.runner.submit(
            lambda: village_flags(db, village), self._on_flags, key=f"flags-{village}"
        )

    def _on_flags(self, found: list[HouseholdFlags]) -> None:
        self.all = found
        flagged = [f for f in found if f.flags]
        excluded = [f for f in found if f.excludes]
        self.summary.setText(
            _("共 {n} 户，{k} 户有提示，其中 {x} 户有“七不进”情形。").format(
                n=len(found), k=len(flagged), x=len(excluded)
            )
        )
        self._show()

    def _show(self) -> None:
        shown = [f for f in self.all if f.flags or not self.flagged_box.isChecked()]
        self.model.set_rows([{"flags": f} for f in shown])

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row())
        if row is not None:
            self.evidence.setText(flags_html(row["flags"]))

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            flags: HouseholdFlags = row["flags"]
            self.open_household.emit(flags.household_id, f"{flags.head_name} {flags.number}")
