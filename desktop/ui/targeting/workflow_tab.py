"""识别与退出: where the household stands in each procedure, its step records, and a form to
record the next step (with votes, notice period, objections and evidence photos).

The state is replayed by the core from the step records every time (``workflow_state``); the
form only offers what the rule file defines, and every refusal of ``record_step`` is shown beside
the field it is about (``refusals``), in the cadre's language. Nothing here decides anything.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.services import visits as visit_services
from desktop.core.services.errors import FieldProblem, ServiceError, ValidationFailed
from desktop.core.targeting import default_config, record_step, workflow_state
from desktop.core.targeting.workflow_rules import WORKFLOW_KINDS, WorkflowDef
from desktop.core.targeting.workflows import StepEntry, WorkflowState
from desktop.ui.forms import FieldSpec, FormWidget
from desktop.ui.models.rows import RowColumn, RowsTableModel
from desktop.ui.photo_widgets import PhotoStrip
from desktop.ui.targeting.refusals import as_field_problem

RED, AMBER, GREY, GREEN = "#c62828", "#b26a00", "#666666", "#2e7d32"

STEP_FIELDS = [
    FieldSpec("step", "choice", label="步骤", required=True),
    FieldSpec("step_date", "date", label="日期", required=True),
    FieldSpec("outcome", "code:step_outcome", label="结果", required=True),
    FieldSpec("decided_by", label="决定者（单位或人员）"),
    FieldSpec("votes_for", "int", label="赞成票"),
    FieldSpec("votes_against", "int", label="反对票"),
    FieldSpec("votes_abstain", "int", label="弃权票"),
    FieldSpec("notice_start", "date", label="公示开始"),
    FieldSpec("notice_end", "date", label="公示结束"),
    FieldSpec("objections", "multiline", label="异议及处理", span=3),
    FieldSpec("note", "multiline", label="备注", span=3),
]
MONITORING_FIELDS = [
    FieldSpec("monitoring_kind", "code:monitoring_kind", label="监测对象类别"),
    FieldSpec("risk_type", "code:monitoring_risk", label="风险类型"),
]
VOTE_FIELDS = ("votes_for", "votes_against", "votes_abstain")
#: The printed notice (desktop.ledger.notices kind) of each procedure's notice steps.
NOTICE_KINDS = {"identification": "entry", "exit": "exit", "monitoring": "monitoring"}
#: The procedure a household of each status is most likely in (the cadre can pick another).
PROCEDURE_FOR_STATUS = {"poor": "exit", "relapsed": "exit", "lifted": "monitoring"}
NOTICE_FIELDS = ("notice_start", "notice_end", "objections")


def _votes(entry: StepEntry) -> str:
    yes, no, abstain = entry.votes
    if yes is None and no is None:
        return ""
    return _("赞成{a} 反对{b} 弃权{c}").format(a=yes or 0, b=no or 0, c=abstain or 0)


def _notice(entry: StepEntry) -> str:
    if entry.notice_start is None:
        return ""
    days = (
        (entry.notice_end - entry.notice_start).days + 1 if entry.notice_end is not None else None
    )
    span = f"{entry.notice_start} — {entry.notice_end or ''}"
    return _("{span}（{days}天）").format(span=span, days=days) if days else span


def _outcome_colour(row: dict[str, Any]) -> str | None:
    return {"passed": GREEN, "failed": RED, "returned": AMBER}.get(row["entry"].outcome)


def history_columns() -> list[RowColumn]:
    return [
        RowColumn(_("步骤"), lambda r: r["entry"].label),
        RowColumn(_("日期"), lambda r: str(r["entry"].step_date)),
        RowColumn(_("结果"), lambda r: r["entry"].outcome_label, _outcome_colour),
        RowColumn(_("决定者"), lambda r: r["entry"].decided_by),
        RowColumn(_("表决"), lambda r: _votes(r["entry"])),
        RowColumn(_("公示期"), lambda r: _notice(r["entry"])),
        RowColumn(_("照片"), lambda r: _("{n} 张").format(n=r["photos"]) if r["photos"] else ""),
        RowColumn(
            _("异议"), lambda r: r["entry"].objections, tooltip=lambda r: r["entry"].objections
        ),
        RowColumn(_("备注"), lambda r: r["entry"].note, tooltip=lambda r: r["entry"].note),
    ]


def state_html(state: WorkflowState) -> str:
    """The state as a few lines of rich text: progress, next step, deadline, warnings, blocks."""
    marks = []
    for step in state.steps:
        is_next = state.next_step is not None and step.code == state.next_step.code
        if step.done:
            marks.append(f"<span style='color:{GREEN}'>✓ {html.escape(step.label)}</span>")
        elif is_next and state.state != "completed":
            marks.append(f"<b>▶ {html.escape(step.label)}</b>")
        else:
            marks.append(f"<span style='color:{GREY}'>{html.escape(step.label)}</span>")
    lines = [
        f"<b>{html.escape(state.name)}</b>：{html.escape(state.state_label)}",
        " → ".join(marks),
    ]
    if state.next_step is not None and state.state != "completed":
        text = _("下一步：{step}").format(step=state.next_step.label)
        if state.state != "in_progress":
            text = _("可以开始：{step}").format(step=state.steps[0].label)
        if state.round_started:
            text += _("（本轮自 {date} 开始）").format(date=state.round_started)
        if state.deadline:
            text += _("；时限：{date}").format(date=state.deadline)
        lines.append(html.escape(text))
    for text in state.blocked:
        lines.append(f"<span style='color:{RED}'>{html.escape(_('不能办理：') + text)}</span>")
    for text in state.warnings:
        lines.append(f"<span style='color:{AMBER}'>{html.escape(_('注意：') + text)}</span>")
    for text in state.hints:
        lines.append(f"<span style='color:{GREY}'>{html.escape(text)}</span>")
    return "<br>".join(lines)


class StepForm(FormWidget):
    """The step form; problems about the monitoring fields go to their own small form."""

    def __init__(self, companion: FormWidget) -> None:
        super().__init__("step_record", STEP_FIELDS, columns=3)
        self.companion = companion

    def show_problems(self, problems: Sequence[FieldProblem]) -> None:
        extra = [p for p in problems if p.field in self.companion.specs]
        super().show_problems([p for p in problems if p not in extra])
        self.companion.show_problems(extra)

    def clear_problems(self) -> None:
        super().clear_problems()
        self.companion.clear_problems()


class WorkflowTab(QWidget):
    """One household's procedures: pick one, see its state and records, record the next step."""

    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        self.ctx = view.ctx
        self.setObjectName("workflow_tab")
        self.state: WorkflowState | None = None
        self._picked = False
        self.config = default_config()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("程序：")))
        self.workflow_combo = QComboBox()
        self.workflow_combo.setObjectName("workflow_combo")
        for kind in WORKFLOW_KINDS:
            flow = self.config.workflows.get(kind)
            if flow is not None:
                self.workflow_combo.addItem(f"{flow.label}（{flow.name}）", kind)
        self.workflow_combo.currentIndexChanged.connect(lambda _i: self.load())
        top.addWidget(self.workflow_combo)
        top.addStretch(1)
        outer.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        self.state_label = QLabel(_("正在读取…"))
        self.state_label.setObjectName("workflow_state")
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.state_label.setStyleSheet("padding: 4px;")
        upper_layout.addWidget(self.state_label)
        self.model = RowsTableModel(history_columns(), self)
        self.table = QTableView()
        self.table.setObjectName("step_history")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        upper_layout.addWidget(self.table)
        splitter.addWidget(upper)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.record_box = QGroupBox(_("记录下一步"))
        box = QVBoxLayout(self.record_box)
        self.monitoring_form = FormWidget("step_record", MONITORING_FIELDS, columns=2)
        self.form = StepForm(self.monitoring_form)
        self.form.set_values({"step_date": date.today(), "outcome": "passed"})
        for name in ("objections", "note"):
            self.form.widgets[name].setMaximumHeight(64)
        step_combo = self.form.widgets["step"]
        assert isinstance(step_combo, QComboBox)
        step_combo.currentIndexChanged.connect(lambda _i: self._step_changed())
        box.addWidget(self.form)
        self.monitoring_form.hide()
        box.addWidget(self.monitoring_form)
        box.addWidget(QLabel(_("证明材料照片（会议记录、公示照片、签字表等，可选）：")))
        self.photos = PhotoStrip(self.ctx, self)
        box.addWidget(self.photos)
        row = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("workflow_message")
        self.message.setWordWrap(True)
        row.addWidget(self.message, 1)
        self.notice_button = QPushButton(_("打印公示…"))
        self.notice_button.setObjectName("print_notice")
        self.notice_button.setToolTip(_("预览并打印本村的公示（公示期和异议记在这一步里）"))
        self.notice_button.clicked.connect(self.print_notice)
        self.notice_button.hide()
        row.addWidget(self.notice_button)
        self.record_button = QPushButton(_("记录此步骤"))
        self.record_button.setObjectName("record_step")
        self.record_button.clicked.connect(self.record)
        row.addWidget(self.record_button)
        box.addLayout(row)
        scroll.setWidget(self.record_box)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        outer.addWidget(splitter)
        view.loaded.connect(self.load)

    # ------------------------------------------------------------------ reading
    @property
    def workflow(self) -> str:
        return str(self.workflow_combo.currentData())

    @property
    def flow(self) -> WorkflowDef:
        return self.config.workflow(self.workflow)

    def select_workflow(self, kind: str) -> None:
        self.workflow_combo.setCurrentIndex(max(self.workflow_combo.findData(kind), 0))

    def _default_workflow(self) -> None:
        """The first time: the procedure this household's status makes relevant."""
        detail = self.view.detail
        if detail is None or self._picked:
            return
        self._picked = True
        h = detail.household
        kind = (
            "risk_clear"
            if h.get("monitoring_kind")
            else PROCEDURE_FOR_STATUS.get(str(h.get("status")), "identification")
        )
        self.workflow_combo.blockSignals(True)
        self.select_workflow(kind)
        self.workflow_combo.blockSignals(False)

    def load(self) -> None:
        self._default_workflow()
        db, household_id, workflow = self.ctx.db, self.view.household_id, self.workflow
        config = self.config
        self.ctx.runner.submit(
            lambda: workflow_state(db, household_id, workflow, config=config),
            self._on_state,
            key=f"workflow-state-{household_id}",
        )

    def _on_state(self, state: WorkflowState) -> None:
        if state.workflow != self.workflow:
            return  # the cadre picked another procedure meanwhile; its state is on the way
        self.state = state
        self.state_label.setText(state_html(state))
        counts: dict[str, int] = {}
        detail = self.view.detail
        for photo in detail.photos if detail is not None else []:
            if photo.get("owner_table") == "step_record":
                counts[photo["owner_id"]] = counts.get(photo["owner_id"], 0) + 1
        self.model.set_rows(
            [{"entry": e, "photos": counts.get(e.id, 0)} for e in reversed(state.history)]
        )
        options = [(s.code, s.label) for s in state.steps]
        self.form.set_options("step", options)
        nxt = state.steps[0] if state.state != "in_progress" else state.next_step
        if nxt is not None:
            self.form.set_values({"step": nxt.code})
        self.monitoring_form.setVisible(self.workflow == "monitoring")
        blocked = bool(state.blocked) and state.state != "in_progress"
        self.record_box.setEnabled(not blocked)
        self._step_changed()

    def _step_changed(self) -> None:
        """Enable only what the chosen step records (votes, a notice period) and hint who decides."""
        step = self.flow.step(self.form.raw_values().get("step") or "")
        for name in VOTE_FIELDS:
            self.form.widgets[name].setEnabled(bool(step and step.votes))
        for name in NOTICE_FIELDS:
            self.form.widgets[name].setEnabled(bool(step and step.notice))
        decided = self.form.widgets["decided_by"]
        assert isinstance(decided, QLineEdit)
        decided.setPlaceholderText(
            _("例如：{who}").format(who=step.decided_by) if step and step.decided_by else ""
        )
        if step is not None:
            self.record_box.setTitle(_("记录步骤：{label}").format(label=step.label))
        self.notice_button.setVisible(bool(step and step.notice) and self.workflow in NOTICE_KINDS)

    def print_notice(self) -> Any:
        """The village's notice of this procedure, in the print preview (a notice step's
        period and objections are then recorded here)."""
        from desktop.ui.printing.village_dialog import VillagePrintDialog

        detail = self.view.detail
        if detail is None:
            return None
        code = str(detail.household["village_code"])
        dialog = VillagePrintDialog(self.ctx, code, detail.region_names.get(code, code), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.buttons[NOTICE_KINDS[self.workflow]].setChecked(True)
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ recording
    def values(self) -> dict[str, Any] | None:
        values, problems = self.form.values()
        extra, more = self.monitoring_form.values()
        self.form.clear_problems()
        if problems or more:
            self.form.show_problems(problems + more)
            return None
        step = self.flow.step(values.get("step") or "")
        for name in VOTE_FIELDS:
            if not (step and step.votes):
                values[name] = None
        for name in NOTICE_FIELDS:
            if not (step and step.notice):
                values[name] = None
        if self.workflow == "monitoring":
            values.update(extra)
        return values

    def record(self) -> None:
        values = self.values()
        if values is None:
            return
        household_id, workflow, config = self.view.household_id, self.workflow, self.config
        entries = list(self.photos.entries)
        step = self.flow.step(values["step"])
        label = step.label if step else values["step"]
        today = date.today()

        def op(uow: Any) -> Any:
            try:
                result = record_step(
                    uow,
                    household_id,
                    workflow,
                    values["step"],
                    values["step_date"],
                    values["outcome"],
                    values.get("decided_by") or "",
                    votes_for=values.get("votes_for"),
                    votes_against=values.get("votes_against"),
                    votes_abstain=values.get("votes_abstain"),
                    notice_start=values.get("notice_start"),
                    notice_end=values.get("notice_end"),
                    objections=values.get("objections"),
                    note=values.get("note"),
                    monitoring_kind=values.get("monitoring_kind"),
                    risk_type=values.get("risk_type"),
                    config=config,
                    today=today,
                )
            except ValidationFailed:
                raise
            except ServiceError as exc:
                raise as_field_problem(
                    uow, household_id, workflow, values, exc, config, today
                ) from None
            for entry in entries:  # photo tasks queued before this one have finished
                if entry.stored is not None:
                    visit_services.attach_photo(
                        uow, household_id, "step_record", result.record_id, entry.photo_values()
                    )
            return result

        def done(result: Any) -> None:
            outcome = codes.label("step_outcome", values["outcome"])
            self.message.setStyleSheet(f"color: {GREEN};")
            self.message.setText(
                _("已记录：{step}（{outcome}）。").format(step=label, outcome=outcome)
            )
            self.form.set_values(
                {
                    "outcome": "passed",
                    **dict.fromkeys((*VOTE_FIELDS, *NOTICE_FIELDS, "note", "decided_by")),
                }
            )
            self.photos.entries.clear()
            self.photos.list.clear()
            self.record_button.setEnabled(True)

        self.record_button.setEnabled(False)
        self.message.clear()
        self.ctx.run_op(
            _("记录{flow}步骤：{step}").format(flow=self.flow.label, step=label),
            op,
            done,
            form=self.form,
            parent=self,
            table="step_record",
            on_failed=lambda: self.record_button.setEnabled(True),
        )
