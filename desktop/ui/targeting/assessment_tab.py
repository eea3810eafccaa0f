"""进退评估: what the household's own data say about entering, exiting and its score.

Three read-only views side by side: the eligibility flags (四进七不进) each with its evidence,
the exit checklist (一出 items, 三不出 blockers) each with its reasons, and the rubric score with
its breakdown. They advise a village meeting; the only thing written here is a hand answer to an
indicator the data do not show (手工评定, see answer_dialog.py). Read on the worker whenever the
household is (re)loaded, so an edit elsewhere shows here at once.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.targeting import (
    ExitChecklist,
    HouseholdFlags,
    HouseholdScore,
    default_config,
    household_exit_checklist,
    household_flags,
    household_score,
)
from desktop.core.targeting.exit_check import CheckItem
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.targeting.answer_dialog import AnswerControls

RED, AMBER, GREEN, GREY = "#c62828", "#b26a00", "#2e7d32", "#666666"


@dataclass
class Assessment:
    flags: HouseholdFlags
    checklist: ExitChecklist
    score: HouseholdScore


def assess(db: Database, household_id: str) -> Assessment:
    return Assessment(
        household_flags(db, household_id),
        household_exit_checklist(db, household_id),
        household_score(db, household_id),
    )


def flags_html(flags: HouseholdFlags) -> str:
    if not flags.flags:
        return html.escape(_("本户数据没有触发“四进七不进”的任何条件。"))
    parts = []
    for title, found, colour in (
        (_("符合纳入条件（四进）"), flags.includes, GREEN),
        (_("不予纳入的情形（七不进）"), flags.excludes, RED),
    ):
        if not found:
            continue
        parts.append(f"<b style='color:{colour}'>{html.escape(title)}</b>")
        items = "".join(
            "<li><b>{t}</b><br><span style='color:{g}'>{e}</span></li>".format(
                t=html.escape(f.title), g=GREY, e="<br>".join(html.escape(x) for x in f.evidence)
            )
            for f in found
        )
        parts.append(f"<ul style='margin-top:2px; -qt-list-indent:1'>{items}</ul>")
    parts.append(
        f"<span style='color:{GREY}'>"
        + html.escape(_("比对结果仅供参考，由评议决定。"))
        + "</span>"
    )
    return "".join(parts)


def _mark(item: CheckItem) -> tuple[str, str]:
    if item.met is True:
        return "✓", GREEN
    if item.met is False:
        return "✗", RED
    return "?", AMBER


def checklist_html(checklist: ExitChecklist) -> str:
    verdict = (
        _("“一出”条件全部达到，没有“三不出”情形：可以提出退出。")
        if checklist.ready
        else _("暂不具备退出条件。")
    )
    colour = GREEN if checklist.ready else RED
    parts = [f"<b style='color:{colour}'>{html.escape(verdict)}</b>"]
    parts.append(
        f"<p style='margin:4px 0 0 0'><b>{html.escape(_('一出'))}</b></p><ul style='-qt-list-indent:1'>"
    )
    for item in checklist.items:
        mark, c = _mark(item)
        reasons = "<br>".join(html.escape(r) for r in item.reasons)
        parts.append(
            f"<li><span style='color:{c}'>{mark}</span> {html.escape(item.label)}"
            + (f"<br><span style='color:{GREY}'>{reasons}</span>" if reasons else "")
            + "</li>"
        )
    parts.append("</ul>")
    if checklist.blockers:
        parts.append(
            f"<p style='margin:0'><b>{html.escape(_('三不出'))}</b></p><ul style='-qt-list-indent:1'>"
        )
        for item in checklist.blockers:
            reasons = "<br>".join(html.escape(r) for r in item.reasons)
            parts.append(
                f"<li><span style='color:{RED}'>✗ {html.escape(item.label)}</span>"
                f"<br><span style='color:{GREY}'>{reasons}</span></li>"
            )
        parts.append("</ul>")
    return "".join(parts)


def breakdown_columns() -> list[RowColumn]:
    def grey(row: dict[str, Any]) -> str | None:
        return AMBER if row["line"].option is None else None

    return [
        RowColumn(_("指标"), lambda r: r["line"].label),
        RowColumn(_("情况"), lambda r: r["line"].option_label or _("未评定"), grey),
        RowColumn(_("分值"), lambda r: f"{r['line'].points:g}"),
        RowColumn(_("权重"), lambda r: f"{r['line'].weight:g}"),
        RowColumn(_("得分"), lambda r: f"{r['line'].weighted:g}"),
        RowColumn(_("依据"), lambda r: r["line"].reason, grey, lambda r: r["line"].reason),
    ]


def score_text(score: HouseholdScore) -> str:
    text = _("总分 {total:g}（满分 {max:g}）").format(total=score.total, max=score.max_score)
    if not score.complete:
        text += _("；有指标缺少数据，需手工评定")
    return text


def breakdown_table(parent: QWidget) -> tuple[QTableView, RowsTableModel]:
    model = RowsTableModel(breakdown_columns(), parent)
    table = QTableView()
    table.setModel(model)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table, model


def _rich_label(name: str) -> QLabel:
    label = QLabel(_("正在读取…"))
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _scrolled(label: QLabel) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(label)
    return area


class AssessmentTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.setObjectName("assessment_tab")
        self.assessment: Assessment | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        flags_box = QGroupBox(_("四进七不进"))
        inner = QVBoxLayout(flags_box)
        self.flags_label = _rich_label("flags_label")
        inner.addWidget(_scrolled(self.flags_label), 1)
        splitter.addWidget(flags_box)
        exit_box = QGroupBox(_("退出条件（一出三不出）"))
        inner = QVBoxLayout(exit_box)
        self.checklist_label = _rich_label("checklist_label")
        inner.addWidget(_scrolled(self.checklist_label), 1)
        splitter.addWidget(exit_box)
        layout.addWidget(splitter, 1)
        score_box = QGroupBox(_("量化评分"))
        inner = QVBoxLayout(score_box)
        self.score_label = QLabel()
        self.score_label.setObjectName("score_label")
        self.score_label.setStyleSheet("font-weight: bold;")
        inner.addWidget(self.score_label)
        self.breakdown, self.breakdown_model = breakdown_table(self)
        self.breakdown.setObjectName("score_breakdown")
        inner.addWidget(self.breakdown)
        self.answers = AnswerControls(
            self.ctx, self.breakdown, self.breakdown_model, lambda: view.household_id, self
        )
        self.answers.saved.connect(self.load)
        inner.addWidget(self.answers)
        layout.addWidget(score_box, 1)
        view.loaded.connect(self.load)

    def load(self) -> None:
        db, household_id = self.ctx.db, self.view.household_id
        self.ctx.runner.submit(
            lambda: assess(db, household_id), self._on_assessed, key=f"assess-{household_id}"
        )

    def _on_assessed(self, assessment: Assessment) -> None:
        self.assessment = assessment
        self.flags_label.setText(flags_html(assessment.flags))
        self.checklist_label.setText(checklist_html(assessment.checklist))
        self.score_label.setText(f"{default_config().rubric.name}：{score_text(assessment.score)}")
        self.breakdown_model.set_rows([{"line": line} for line in assessment.score.breakdown])
