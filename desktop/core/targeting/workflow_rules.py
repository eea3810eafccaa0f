"""Procedure definitions (识别 / 退出 / 监测) read from county-editable TOML files.

A county changes its procedure by editing a file in resources/rules/, not by waiting for a release:
the steps, their labels, which are notice periods (公示, with a minimum number of days), which hold
a vote, and what a passed or failed step does to the household (status, 脱贫年度, monitoring
category). Every mistake is refused with the file, line and reason (RuleFileError).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.targeting.tomlfile import Checker, Where, read_toml

WORKFLOW_KINDS = ("identification", "exit", "monitoring", "risk_clear")
KIND_LABELS = {
    "identification": "贫困户识别",
    "exit": "脱贫退出",
    "monitoring": "防返贫监测对象识别",
    "risk_clear": "监测对象风险消除",
}

#: Household fields a step may set, and the tokens each accepts besides a literal code.
EFFECT_FIELDS: dict[str, tuple[str, ...]] = {
    "status": (),
    "identified_year": ("$year", "$none"),
    "exit_year": ("$year", "$none"),
    "monitoring_kind": ("$kind", "$none"),
    "monitoring_since": ("$date", "$none"),
    "risk_type": ("$risk", "$none"),
}
_EFFECT_KINDS = {
    "status": "household_status",
    "monitoring_kind": "monitoring_kind",
    "risk_type": "monitoring_risk",
}
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_WORKFLOW_KEYS = (
    "kind",
    "name",
    "start_statuses",
    "on_fail",
    "time_limit_days",
    "warn_days_before",
)
_STEP_KEYS = ("code", "label", "decided_by", "notice", "min_days", "votes", "on_pass", "on_fail")


@dataclass(frozen=True)
class StepDef:
    code: str
    label: str
    index: int
    decided_by: str = ""
    notice: bool = False
    min_days: int = 0
    votes: bool = False
    on_pass: Mapping[str, str] = field(default_factory=dict)
    on_fail: Mapping[str, str] | None = None  # None: the workflow's on_fail


@dataclass(frozen=True)
class WorkflowDef:
    path: Path
    kind: str
    name: str
    steps: tuple[StepDef, ...]
    start_statuses: frozenset[str]
    on_fail: Mapping[str, str]
    time_limit_days: int | None
    warn_days_before: int

    def step(self, code: str) -> StepDef | None:
        return next((s for s in self.steps if s.code == code), None)

    def fail_effects(self, step: StepDef) -> Mapping[str, str]:
        return step.on_fail if step.on_fail is not None else self.on_fail

    @property
    def label(self) -> str:
        return _(KIND_LABELS[self.kind])


def load_workflow(path: Path | str) -> WorkflowDef:
    """Read and check one procedure file; raises RuleFileError naming the line of a problem."""
    document, locator = read_toml(path)
    check = Checker(locator)
    check.only_known(document, (), ("workflow", "steps"))
    head = check.table(document.get("workflow"), ("workflow",))
    check.only_known(head, ("workflow",), _WORKFLOW_KEYS)
    kind = check.text(head, ("workflow",), "kind")
    if kind not in WORKFLOW_KINDS:
        raise check.fail(
            ("workflow", "kind"),
            _("“kind”应为以下之一：{known}，现在是“{value}”。").format(
                known="、".join(WORKFLOW_KINDS), value=kind
            ),
        )
    statuses = check.strings(head, ("workflow",), "start_statuses")
    for status in statuses:
        _status_ok(check, ("workflow", "start_statuses"), status)
    on_fail = _effects(check, head.get("on_fail"), ("workflow", "on_fail"))
    limit = head.get("time_limit_days")
    time_limit = (
        int(check.number(head, ("workflow",), "time_limit_days", integer=True, minimum=1))
        if limit is not None
        else None
    )
    warn = int(check.number(head, ("workflow",), "warn_days_before", 0, integer=True))
    steps = _steps(check, check.array(document.get("steps"), ("steps",)))
    return WorkflowDef(
        path=Path(path),
        kind=kind,
        name=check.text(head, ("workflow",), "name"),
        steps=steps,
        start_statuses=frozenset(statuses),
        on_fail=on_fail,
        time_limit_days=time_limit,
        warn_days_before=warn,
    )


def _steps(check: Checker, items: list[dict[str, Any]]) -> tuple[StepDef, ...]:
    steps: list[StepDef] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where: Where = ("steps", index)
        check.only_known(item, where, _STEP_KEYS)
        code = check.text(item, where, "code")
        if not _CODE.match(code):
            raise check.fail(
                (*where, "code"),
                _("步骤代码“{code}”应由小写英文字母、数字和下划线组成。").format(code=code),
            )
        if code in seen:
            raise check.fail((*where, "code"), _("步骤代码“{code}”重复。").format(code=code))
        seen.add(code)
        notice = check.flag(item, where, "notice")
        min_days = int(check.number(item, where, "min_days", 0, integer=True))
        if min_days and not notice:
            raise check.fail(
                (*where, "min_days"), _("只有公示步骤（notice = true）才能规定最少天数。")
            )
        fail = item.get("on_fail")
        steps.append(
            StepDef(
                code=code,
                label=check.text(item, where, "label"),
                index=index,
                decided_by=str(item.get("decided_by", "")).strip(),
                notice=notice,
                min_days=min_days,
                votes=check.flag(item, where, "votes"),
                on_pass=_effects(check, item.get("on_pass"), (*where, "on_pass")),
                on_fail=_effects(check, fail, (*where, "on_fail")) if fail is not None else None,
            )
        )
    return tuple(steps)


def _status_ok(check: Checker, where: Where, value: str) -> None:
    if not codes.is_valid("household_status", value):
        valid = [c.code for c in codes.codes("household_status")]
        raise check.fail(
            where,
            _("“{value}”不是有效的户状态代码。可用：{known}。").format(
                value=value, known="、".join(valid)
            ),
        )


def _effects(check: Checker, value: Any, where: Where) -> Mapping[str, str]:
    table = check.table(value, where, required=False)
    check.only_known(table, where, tuple(EFFECT_FIELDS))
    for key, item in table.items():
        tokens = EFFECT_FIELDS[key]
        kind = _EFFECT_KINDS.get(key)
        if not isinstance(item, str):
            raise check.fail((*where, key), _("“{key}”的值应写成文字。").format(key=key))
        if item in tokens:
            continue
        if kind is not None and codes.is_valid(kind, item):
            continue
        allowed = list(tokens) + (
            [_("{kind}代码").format(kind=codes.kind_label(kind))] if kind else []
        )
        raise check.fail(
            (*where, key),
            _("“{key}”不能设为“{value}”。可用：{known}。").format(
                key=key, value=item, known="、".join(allowed)
            ),
        )
    return MappingProxyType(dict(table))
