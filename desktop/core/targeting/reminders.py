"""The cadre's "today" list: what is due, overdue or waiting, across the households they hold.

Four kinds: visits due (interval per status or monitoring category from county.toml [visits]),
commitments due or overdue, monitoring decisions near or past the 15-day limit, and procedure
steps waiting to be done. Everything is read in a few bulk queries so the list opens instantly
on a laptop holding a whole township.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.targeting.config import TargetingConfig, config_for
from desktop.core.targeting.facts import rows
from desktop.core.targeting.workflows import IN_PROGRESS, RECORD_COLUMNS, state_from_records

VISIT, COMMITMENT, MONITORING, STEP = "visit", "commitment", "monitoring", "step"
KIND_LABELS = {
    VISIT: "走访到期",
    COMMITMENT: "帮扶措施到期",
    MONITORING: "监测对象认定时限",
    STEP: "流程待办",
}


@dataclass(frozen=True)
class Reminder:
    kind: str  # visit | commitment | monitoring | step
    household_id: str
    number: str
    head_name: str
    due: date | None
    overdue: bool
    message: str

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "due": self.due.isoformat() if self.due else None}


@dataclass
class TodayView:
    today: date
    reminders: list[Reminder] = field(default_factory=list)

    def of(self, kind: str) -> list[Reminder]:
        return [r for r in self.reminders if r.kind == kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "counts": {k: len(self.of(k)) for k in KIND_LABELS},
            "reminders": [r.as_json() for r in self.reminders],
        }


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def today_view(
    db: Database,
    *,
    today: date | None = None,
    village: str | None = None,
    config: TargetingConfig | None = None,
) -> TodayView:
    config = config or config_for(None)
    today = today or date.today()
    where, params = ("AND h.village_code = ?", [village]) if village else ("", [])
    with db.read() as conn:
        households = rows(
            conn,
            "SELECT h.id, h.number, h.head_name, h.status, h.monitoring_kind, "
            "(SELECT MAX(v.visit_date) FROM visit v WHERE v.household_id = h.id AND v.voided = 0)"
            f" AS last_visit FROM household h WHERE h.voided = 0 {where} ORDER BY h.number",
            params,
        )
        commitments = rows(
            conn,
            "SELECT c.household_id, c.promised, c.measure, c.due_date FROM commitment c "
            "JOIN household h ON h.id = c.household_id WHERE c.voided = 0 AND h.voided = 0 "
            f"AND c.status IN ('planned', 'in_progress') AND c.due_date <= ? {where} "
            "ORDER BY c.due_date",
            [(today + timedelta(days=config.thresholds.commitment_due_days)).isoformat(), *params],
        )
        records = rows(
            conn,
            f"SELECT {', '.join('s.' + c.strip() for c in RECORD_COLUMNS.split(','))} "
            "FROM step_record s JOIN household h ON h.id = s.household_id "
            f"WHERE s.voided = 0 AND h.voided = 0 {where} ORDER BY s.step_date, s.created_hlc",
            params,
        )
    by_id = {h["id"]: h for h in households}
    view = TodayView(today)
    _visits(view, households, config, today)
    for c in commitments:
        h = by_id[c["household_id"]]
        due = _date(c["due_date"])
        assert due is not None
        view.reminders.append(
            Reminder(
                COMMITMENT,
                h["id"],
                h["number"],
                h["head_name"],
                due,
                due < today,
                (
                    _("“{promised}”已过期{days}天未兑现。")
                    if due < today
                    else _("“{promised}”应于{due}前兑现。")
                ).format(promised=c["promised"] or c["measure"], days=(today - due).days, due=due),
            )
        )
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[(record["household_id"], record["workflow"])].append(record)
    for (household_id, workflow), found in grouped.items():
        flow = config.workflows.get(workflow)
        if flow is None:
            continue
        h = by_id[household_id]
        state = state_from_records(flow, h, found, today)
        if state.state != IN_PROGRESS or state.next_step is None:
            continue
        if state.deadline is not None and state.warnings:
            view.reminders.append(
                Reminder(
                    MONITORING,
                    h["id"],
                    h["number"],
                    h["head_name"],
                    state.deadline,
                    state.deadline < today,
                    state.warnings[-1],
                )
            )
        view.reminders.append(
            Reminder(
                STEP,
                h["id"],
                h["number"],
                h["head_name"],
                state.deadline,
                False,
                _("{flow}：等待办理“{step}”。").format(flow=flow.name, step=state.next_step.label),
            )
        )
    order = list(KIND_LABELS)
    view.reminders.sort(key=lambda r: (order.index(r.kind), r.due or date.max, r.number))
    return view


def _visits(
    view: TodayView, households: list[dict[str, Any]], config: TargetingConfig, today: date
) -> None:
    intervals = config.rules.visit_interval_days
    horizon = today + timedelta(days=config.thresholds.visit_due_days)
    skip = config.rules.skip_statuses
    for h in households:
        if h["status"] in skip:
            continue
        interval = None
        if h["monitoring_kind"]:
            interval = intervals.get(str(h["monitoring_kind"])) or intervals.get("monitoring")
        interval = interval or intervals.get(str(h["status"]))
        if not interval:
            continue
        last = _date(h["last_visit"])
        if last is None:
            view.reminders.append(
                Reminder(
                    VISIT,
                    h["id"],
                    h["number"],
                    h["head_name"],
                    today,
                    True,
                    _("本户还没有走访记录。"),
                )
            )
            continue
        due = last + timedelta(days=interval)
        if due <= horizon:
            message = (
                _("上次走访{last}，已超期{days}天。").format(last=last, days=(today - due).days)
                if due < today
                else _("上次走访{last}，应于{due}前再次走访。").format(last=last, due=due)
            )
            view.reminders.append(
                Reminder(VISIT, h["id"], h["number"], h["head_name"], due, due < today, message)
            )
