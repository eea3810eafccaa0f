"""Running a procedure: dated, append-only step records, and where each household stands.

The position in a procedure is never stored: it is replayed from the household's step records
(``step_record``, append-only, synced as a union), so two laptops that recorded steps offline
agree once their records meet. Rules of the replay: a procedure starts at its first step; a
passed step opens the next; 不通过 closes the round (the household's status follows the rule
file); 退回 reopens the previous step; after a closed round a new one may start at the first
step. ``record_step`` refuses anything else with a Chinese sentence, and keeps the household's
status in step through the same unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from desktop.core import codes
from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.core.services.uow import UnitOfWork
from desktop.core.targeting.config import TargetingConfig, config_for
from desktop.core.targeting.workflow_rules import StepDef, WorkflowDef

PASSED, FAILED, RETURNED = "passed", "failed", "returned"
OUTCOMES = (PASSED, FAILED, RETURNED)
NOT_STARTED, IN_PROGRESS, COMPLETED, CLOSED_FAILED = (
    "not_started",
    "in_progress",
    "completed",
    "failed",
)
STATE_LABELS = {
    NOT_STARTED: "未开始",
    IN_PROGRESS: "进行中",
    COMPLETED: "已完成",
    CLOSED_FAILED: "未通过",
}
RECORD_COLUMNS = (
    "id, household_id, workflow, step, step_date, decided_by, outcome, votes_for, "
    "votes_against, votes_abstain, notice_start, notice_end, objections, note, created_hlc"
)


@dataclass(frozen=True)
class StepEntry:
    """One recorded step, ready to show."""

    id: str
    step: str
    label: str
    step_date: date
    outcome: str
    outcome_label: str
    decided_by: str
    votes: tuple[int | None, int | None, int | None]
    notice_start: date | None
    notice_end: date | None
    objections: str
    note: str


@dataclass(frozen=True)
class StepView:
    code: str
    label: str
    notice: bool
    min_days: int
    votes: bool
    done: bool  # passed in the current round


@dataclass
class WorkflowState:
    """Where a household stands in one procedure."""

    household_id: str
    workflow: str
    name: str
    state: str  # not_started | in_progress | completed | failed
    steps: list[StepView]
    history: list[StepEntry]  # every record, oldest first
    next_step: StepView | None
    round_started: date | None = None
    deadline: date | None = None
    blocked: list[str] = field(default_factory=list)  # why the next step cannot be recorded now
    warnings: list[str] = field(default_factory=list)  # deadlines, records out of order
    hints: list[str] = field(default_factory=list)  # what the next step needs

    @property
    def state_label(self) -> str:
        return _(STATE_LABELS[self.state])

    def as_json(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "workflow": self.workflow,
            "name": self.name,
            "state": self.state,
            "next_step": self.next_step.code if self.next_step else None,
            "next_step_label": self.next_step.label if self.next_step else None,
            "round_started": self.round_started,
            "deadline": self.deadline,
            "steps": [{"code": s.code, "label": s.label, "done": s.done} for s in self.steps],
            "history": [
                {
                    "id": e.id,
                    "step": e.step,
                    "label": e.label,
                    "date": e.step_date,
                    "outcome": e.outcome,
                    "decided_by": e.decided_by,
                    "votes": list(e.votes),
                    "notice": [e.notice_start, e.notice_end],
                    "objections": e.objections,
                    "note": e.note,
                }
                for e in self.history
            ],
            "blocked": self.blocked,
            "warnings": self.warnings,
            "hints": self.hints,
        }


@dataclass(frozen=True)
class StepResult:
    """What ``record_step`` did."""

    record_id: str
    household_status: str
    changed: tuple[str, ...]  # household fields the step changed
    state: str
    next_step: str | None


# ----------------------------------------------------------------------------- replay
@dataclass
class _Replay:
    state: str = NOT_STARTED
    next_index: int = 0
    round_started: date | None = None
    last_date: date | None = None
    passed: set[str] = field(default_factory=set)
    anomalies: list[str] = field(default_factory=list)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _replay(flow: WorkflowDef, records: list[dict[str, Any]]) -> _Replay:
    run = _Replay()
    for record in records:
        step = flow.step(record["step"])
        day = _as_date(record["step_date"])
        if step is None:
            run.anomalies.append(
                _("{date}的记录步骤“{step}”不属于“{flow}”。").format(
                    date=day, step=record["step"], flow=flow.name
                )
            )
            continue
        if run.state != IN_PROGRESS:
            if step.index != 0:
                run.anomalies.append(
                    _("{date}记录的“{label}”前没有开始本轮流程。").format(
                        date=day, label=step.label
                    )
                )
            run.state, run.round_started, run.passed = IN_PROGRESS, day, set()
        elif step.index != run.next_index:
            run.anomalies.append(
                _("{date}记录的“{label}”不是当时应办的步骤。").format(date=day, label=step.label)
            )
        run.last_date = day
        outcome = record["outcome"]
        if outcome == PASSED:
            run.passed.add(step.code)
            run.next_index = step.index + 1
            if run.next_index >= len(flow.steps):
                run.state, run.next_index = COMPLETED, 0
        elif outcome == FAILED:
            run.state, run.next_index = CLOSED_FAILED, 0
        elif outcome == RETURNED:
            previous = max(step.index - 1, 0)
            run.passed -= {s.code for s in flow.steps[previous:]}
            run.next_index = previous
    return run


def load_records(conn: Connection, household_id: str, workflow: str) -> list[dict[str, Any]]:
    """Non-voided step records of one procedure, in the order they happened."""
    result = conn.execute(
        text(
            f"SELECT {RECORD_COLUMNS} FROM step_record WHERE household_id = :h AND workflow = :w "
            "AND voided = 0 ORDER BY step_date, created_hlc"
        ),
        {"h": household_id, "w": workflow},
    )
    return [dict(row) for row in result.mappings()]


def _entry(flow: WorkflowDef, r: Mapping[str, Any]) -> StepEntry:
    step = flow.step(r["step"])
    return StepEntry(
        id=r["id"],
        step=r["step"],
        label=step.label if step else r["step"],
        step_date=_as_date(r["step_date"]) or date.min,
        outcome=r["outcome"],
        outcome_label=codes.label("step_outcome", r["outcome"]),
        decided_by=r["decided_by"] or "",
        votes=(r["votes_for"], r["votes_against"], r["votes_abstain"]),
        notice_start=_as_date(r["notice_start"]),
        notice_end=_as_date(r["notice_end"]),
        objections=r["objections"] or "",
        note=r["note"] or "",
    )


def _view(step: StepDef, done: bool) -> StepView:
    return StepView(step.code, step.label, step.notice, step.min_days, step.votes, done)


def state_from_records(
    flow: WorkflowDef,
    household: Mapping[str, Any],
    records: list[dict[str, Any]],
    today: date,
) -> WorkflowState:
    """The state of one procedure from a household row and its records (no database access)."""
    run = _replay(flow, records)
    steps = [_view(s, s.code in run.passed) for s in flow.steps]
    status = str(household.get("status") or "")
    state = WorkflowState(
        household_id=str(household["id"]),
        workflow=flow.kind,
        name=flow.name,
        state=run.state,
        steps=steps,
        history=[_entry(flow, r) for r in records],
        next_step=steps[run.next_index],
        round_started=run.round_started if run.state == IN_PROGRESS else None,
        warnings=list(run.anomalies),
    )
    if run.state != IN_PROGRESS and flow.start_statuses and status not in flow.start_statuses:
        state.blocked.append(
            _("本户状态为“{status}”，不能开始“{flow}”（适用于：{allowed}）。").format(
                status=codes.label("household_status", status),
                flow=flow.name,
                allowed="、".join(
                    codes.label("household_status", s) for s in sorted(flow.start_statuses)
                ),
            )
        )
    nxt = flow.steps[run.next_index]
    if nxt.notice:
        state.hints.append(
            _("“{label}”是公示步骤：请记录公示起止日期和异议情况，公示不少于{days}天。").format(
                label=nxt.label, days=nxt.min_days
            )
        )
    if nxt.votes:
        state.hints.append(_("“{label}”须记录表决票数。").format(label=nxt.label))
    if flow.time_limit_days and run.state == IN_PROGRESS and run.round_started:
        deadline = run.round_started + timedelta(days=flow.time_limit_days)
        state.deadline = deadline
        left = (deadline - today).days
        if left < 0:
            state.warnings.append(
                _("已超过{limit}天时限：自{start}发现线索起，应于{deadline}前完成审定。").format(
                    limit=flow.time_limit_days, start=run.round_started, deadline=deadline
                )
            )
        elif left <= flow.warn_days_before:
            state.warnings.append(
                _("距{limit}天时限还剩{left}天（{deadline}前完成审定）。").format(
                    limit=flow.time_limit_days, left=left, deadline=deadline
                )
            )
    return state


def workflow_state(
    db: Database,
    household_id: str,
    workflow: str = "identification",
    *,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> WorkflowState:
    """Steps done, the next step, why it is blocked, deadline warnings (for the household view)."""
    config = config or config_for(None)
    flow = config.workflow(workflow)
    today = today or date.today()
    with db.read() as conn:
        household = _household(conn, household_id)
        records = load_records(conn, household_id, workflow)
    state = state_from_records(flow, household, records, today)
    if workflow == "exit":
        from desktop.core.targeting.exit_check import exit_checklist
        from desktop.core.targeting.facts import load_facts

        facts = load_facts(db, [household_id])
        if facts:
            checklist = exit_checklist(facts[0], config, today)
            for blocker in checklist.blockers:
                state.hints.append(
                    _("三不出：{label}（{reasons}）").format(
                        label=blocker.label, reasons="；".join(blocker.reasons)
                    )
                )
    return state


def _household(conn: Connection, household_id: str) -> dict[str, Any]:
    row = (
        conn.execute(
            text("SELECT id, number, status, voided FROM household WHERE id = :id"),
            {"id": household_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ServiceError(_("找不到这一户（{id}）。").format(id=household_id))
    return dict(row)


# ----------------------------------------------------------------------------- recording
def record_step(
    uow: UnitOfWork,
    household_id: str,
    workflow: str,
    step: str,
    step_date: date,
    outcome: str,
    decided_by: str,
    *,
    votes_for: int | None = None,
    votes_against: int | None = None,
    votes_abstain: int | None = None,
    notice_start: date | None = None,
    notice_end: date | None = None,
    objections: str | None = None,
    note: str | None = None,
    monitoring_kind: str | None = None,
    risk_type: str | None = None,
    config: TargetingConfig | None = None,
    today: date | None = None,
) -> StepResult:
    """Record one step of a procedure; refuses a step out of order with a Chinese sentence.

    ``outcome`` is passed | failed | returned (or the labels 通过 / 不通过 / 退回).
    ``monitoring_kind`` / ``risk_type`` fill "$kind" / "$risk" in the rule file's effects.
    """
    config = config or config_for(None)
    flow = config.workflow(workflow)
    today = today or date.today()
    outcome = _outcome(outcome)
    definition = flow.step(step) or _step_by_label(flow, step)
    if definition is None:
        raise ServiceError(
            _("“{step}”不是“{flow}”的步骤。可用：{known}。").format(
                step=step, flow=flow.name, known="、".join(s.label for s in flow.steps)
            )
        )
    household = uow.get("household", household_id)
    if household.get("voided"):
        raise ServiceError(_("这一户已作废，不能再记录流程步骤。"))
    records = load_records(uow.connection, household_id, workflow)
    state = state_from_records(flow, household, records, today)
    _check_order(flow, state, definition, step_date, records)
    if state.state != IN_PROGRESS and state.blocked:
        raise ServiceError(state.blocked[0])
    if not (decided_by or "").strip():
        raise ServiceError(
            _("请填写“{label}”由谁决定（单位或人员）。").format(label=definition.label)
        )
    if outcome == RETURNED and definition.index == 0:
        raise ServiceError(
            _("“{label}”是第一步，没有可退回的上一步；不同意请记录为不通过。").format(
                label=definition.label
            )
        )
    _check_votes(definition, outcome, votes_for, votes_against, votes_abstain)
    _check_notice(definition, outcome, step_date, notice_start, notice_end)
    effects = _effects(flow, definition, outcome, step_date, monitoring_kind, risk_type)
    record_id = uow.insert(
        "step_record",
        {
            "household_id": household_id,
            "workflow": workflow,
            "step": definition.code,
            "step_date": step_date,
            "decided_by": decided_by.strip(),
            "outcome": outcome,
            "votes_for": votes_for,
            "votes_against": votes_against,
            "votes_abstain": votes_abstain,
            "notice_start": notice_start,
            "notice_end": notice_end,
            "objections": (objections or "").strip() or None,
            "note": (note or "").strip() or None,
        },
    )
    changed = uow.update("household", household_id, effects) if effects else ()
    after = state_from_records(
        flow,
        uow.get("household", household_id),
        load_records(uow.connection, household_id, workflow),
        today,
    )
    return StepResult(
        record_id=record_id,
        household_status=str(uow.get("household", household_id)["status"]),
        changed=changed,
        state=after.state,
        next_step=after.next_step.code if after.state == IN_PROGRESS and after.next_step else None,
    )


def _outcome(value: str) -> str:
    if value in OUTCOMES:
        return value
    code = codes.code_for_label("step_outcome", value)
    if code in OUTCOMES:
        return str(code)
    raise ServiceError(_("审核结果应为通过、不通过或退回，现在是“{value}”。").format(value=value))


def _step_by_label(flow: WorkflowDef, text_: str) -> StepDef | None:
    return next((s for s in flow.steps if s.label == text_), None)


def _check_order(
    flow: WorkflowDef,
    state: WorkflowState,
    step: StepDef,
    step_date: date,
    records: list[dict[str, Any]],
) -> None:
    first = flow.steps[0]
    if state.state != IN_PROGRESS:
        if step.index != 0:
            raise ServiceError(
                _(
                    "“{flow}”尚未开始（或上一轮已结束），应先记录“{first}”，不能记录“{label}”。"
                ).format(flow=flow.name, first=first.label, label=step.label)
            )
    elif state.next_step is not None and step.code != state.next_step.code:
        raise ServiceError(
            _("现在应记录“{expected}”，不能记录“{label}”：流程步骤须按顺序办理。").format(
                expected=state.next_step.label, label=step.label
            )
        )
    if records:
        last = _as_date(records[-1]["step_date"])
        if last is not None and step_date < last:
            raise ServiceError(
                _("“{label}”的日期{day}早于上一步的日期{last}。").format(
                    label=step.label, day=step_date, last=last
                )
            )


def _check_votes(
    step: StepDef,
    outcome: str,
    votes_for: int | None,
    votes_against: int | None,
    votes_abstain: int | None,
) -> None:
    given = [v for v in (votes_for, votes_against, votes_abstain) if v is not None]
    if any(v < 0 for v in given):
        raise ServiceError(_("票数不能是负数。"))
    if not step.votes:
        if given:
            raise ServiceError(_("“{label}”不表决，不应填写票数。").format(label=step.label))
        return
    if outcome == RETURNED:
        return
    if votes_for is None or votes_against is None:
        raise ServiceError(_("“{label}”须记录表决结果：赞成票和反对票。").format(label=step.label))
    if outcome == PASSED and votes_for <= votes_against + (votes_abstain or 0):
        raise ServiceError(
            _("赞成{yes}票未超过投票总数的一半，不能记录为通过。").format(yes=votes_for)
        )


def _check_notice(
    step: StepDef,
    outcome: str,
    step_date: date,
    start: date | None,
    end: date | None,
) -> None:
    if not step.notice:
        if start or end:
            raise ServiceError(
                _("“{label}”不是公示步骤，不应填写公示日期。").format(label=step.label)
            )
        return
    if outcome == RETURNED and not (start or end):
        return
    if start is None or end is None:
        raise ServiceError(
            _("“{label}”是公示步骤，请填写公示开始和结束日期。").format(label=step.label)
        )
    if end < start:
        raise ServiceError(_("公示结束日期早于开始日期。"))
    days = (end - start).days + 1
    if outcome == PASSED and days < step.min_days:
        raise ServiceError(
            _("公示期只有{days}天，“{label}”须公示不少于{min}天。").format(
                days=days, label=step.label, min=step.min_days
            )
        )
    if outcome == PASSED and step_date < end:
        raise ServiceError(
            _("公示到{end}才结束，不能在{day}记录为通过。").format(end=end, day=step_date)
        )


def _effects(
    flow: WorkflowDef,
    step: StepDef,
    outcome: str,
    step_date: date,
    kind: str | None,
    risk: str | None,
) -> dict[str, Any]:
    spec = (
        step.on_pass if outcome == PASSED else flow.fail_effects(step) if outcome == FAILED else {}
    )
    values: dict[str, Any] = {}
    for name, token in spec.items():
        if token == "$year":
            values[name] = step_date.year
        elif token == "$date":
            values[name] = step_date
        elif token == "$none":
            values[name] = None
        elif token == "$kind":
            if not kind or not codes.is_valid("monitoring_kind", kind):
                kind = codes.code_for_label("monitoring_kind", kind or "") if kind else None
            if not kind:
                raise ServiceError(
                    _("“{label}”通过时须指明监测对象类别（{known}）。").format(
                        label=step.label,
                        known="、".join(c.label() for c in codes.codes("monitoring_kind")),
                    )
                )
            values[name] = kind
        elif token == "$risk":
            if risk and not codes.is_valid("monitoring_risk", risk):
                risk = codes.code_for_label("monitoring_risk", risk)
                if not risk:
                    raise ServiceError(_("风险类型无效。"))
            values[name] = risk
        else:
            values[name] = token
    return values
