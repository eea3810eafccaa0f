"""The exit checklist ("一出三不出") for a household, with a reason for every unmet item.

一出: income stably above the line (the latest years on file, from the income records and the
county's line), and 两不愁三保障 plus safe drinking water, read from the latest visit's checklist
and cross-checked against the household's own data (a C/D house, a child out of school, a
member without medical insurance, water marked unsafe). 三不出: not stably met; assistance not
yet delivered; newly identified or fallen back this year. The list advises; people decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop.core.i18n import _
from desktop.core.targeting.config import TargetingConfig
from desktop.core.targeting.facts import HouseholdFacts
from desktop.core.targeting.metrics import out_of_school_children, per_capita_income

OPEN_COMMITMENTS = ("planned", "in_progress")


@dataclass(frozen=True)
class CheckItem:
    """One exit condition: met (True), not met (False) or not known (None), with reasons."""

    code: str
    label: str
    met: bool | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ExitChecklist:
    household_id: str
    number: str
    head_name: str
    items: tuple[CheckItem, ...]  # 一出
    blockers: tuple[CheckItem, ...]  # 三不出 that apply (met = False)

    @property
    def ready(self) -> bool:
        """Every item met and no blocker: the household may be proposed for exit."""
        return all(i.met is True for i in self.items) and not self.blockers

    def as_json(self) -> dict[str, Any]:
        def item(i: CheckItem) -> dict[str, Any]:
            return {"code": i.code, "label": i.label, "met": i.met, "reasons": list(i.reasons)}

        return {
            "household_id": self.household_id,
            "household_number": self.number,
            "head_name": self.head_name,
            "ready": self.ready,
            "items": [item(i) for i in self.items],
            "blockers": [item(b) for b in self.blockers],
        }


_VISIT_ITEMS = (
    # code, label, visit fields
    ("food_clothing", "不愁吃、不愁穿", ("food_ok", "clothing_ok")),
    ("education", "义务教育有保障", ("education_ok",)),
    ("medical", "基本医疗有保障", ("medical_ok",)),
    ("housing", "住房安全有保障", ("housing_ok",)),
    ("water", "饮水安全有保障", ("water_ok",)),
)


def exit_checklist(facts: HouseholdFacts, config: TargetingConfig, today: date) -> ExitChecklist:
    items = [_income_item(facts, config, today)]
    visit = facts.latest_visit
    for code, label, fields in _VISIT_ITEMS:
        reasons: list[str] = []
        met: bool | None = True
        if visit is None:
            met, reasons = None, [_("还没有走访记录，无法核实。")]
        else:
            values = [visit.get(f) for f in fields]
            if any(v is not None and not v for v in values):
                met = False
                reasons.append(
                    _("{date}走访时记录为未达到。").format(date=str(visit["visit_date"])[:10])
                )
            elif any(v is None for v in values):
                met = None
                reasons.append(
                    _("{date}走访时未填写这一项。").format(date=str(visit["visit_date"])[:10])
                )
        for problem in _data_problems(code, facts, config, today):
            met = False
            reasons.append(problem)
        items.append(CheckItem(code, _(label), met, tuple(reasons)))
    h = facts.household
    return ExitChecklist(
        household_id=facts.id,
        number=str(h.get("number") or ""),
        head_name=str(h.get("head_name") or ""),
        items=tuple(items),
        blockers=tuple(_blockers(facts, items, today)),
    )


def _income_item(facts: HouseholdFacts, config: TargetingConfig, today: date) -> CheckItem:
    rules, needed = config.rules, config.thresholds.exit_stable_years
    label = _("收入稳定超过贫困线")
    if not facts.incomes:
        return CheckItem("income", label, None, (_("没有收入测算记录。"),))
    reasons: list[str] = []
    met: bool | None = True
    latest = max(facts.incomes)
    expected = today.year - rules.last_year_offset
    if latest < expected:
        met = None
        reasons.append(
            _("最近的收入测算是{year}年，缺少{expected}年的。").format(
                year=latest, expected=expected
            )
        )
    years = sorted(facts.incomes, reverse=True)[:needed]
    if len(years) < needed:
        met = None if met is not False else met
        reasons.append(
            _("只有{count}年的收入记录，稳定超过贫困线需要连续{needed}年。").format(
                count=len(years), needed=needed
            )
        )
    for year in sorted(years):
        income = per_capita_income(facts, year)
        line = rules.poverty_line(year)
        if income is None:
            met = None if met is not False else met
            reasons.append(_("{year}年家庭人口为0，无法计算人均纯收入。").format(year=year))
        elif income < line:
            met = False
            reasons.append(
                _("{year}年人均纯收入{income:g}元，低于贫困线{line:g}元。").format(
                    year=year, income=income, line=line
                )
            )
        else:
            reasons.append(
                _("{year}年人均纯收入{income:g}元，高于贫困线{line:g}元。").format(
                    year=year, income=income, line=line
                )
            )
    return CheckItem("income", label, met, tuple(reasons))


def _data_problems(
    code: str, facts: HouseholdFacts, config: TargetingConfig, today: date
) -> list[str]:
    h = facts.household
    if code == "education":
        return [
            _("{name}处于义务教育年龄，登记为非在校生。").format(name=m["name"])
            for m in out_of_school_children(facts, today, config.rules.compulsory_school_ages)
        ]
    if code == "medical":
        return [
            _("{name}未参加基本医疗保险。").format(name=m["name"])
            for m in facts.members
            if m.get("medical_insurance") is False or m.get("medical_insurance") == 0
        ]
    if code == "housing":
        if h.get("housing_area") is not None and float(h["housing_area"]) == 0:
            return [_("住房面积登记为0（无房）。")]
        if h.get("danger_grade") in ("C", "D"):
            return [_("住房为{grade}级危房。").format(grade=h["danger_grade"])]
    if code == "water" and (h.get("water_safe") is False or h.get("water_safe") == 0):
        return [_("户信息登记为饮水不安全。")]
    return []


def _blockers(facts: HouseholdFacts, items: list[CheckItem], today: date) -> list[CheckItem]:
    found: list[CheckItem] = []
    unmet = [i for i in items if i.met is not True]
    if unmet:
        found.append(
            CheckItem(
                "not_stable",
                _("“一出”条件未稳定达到"),
                False,
                tuple(
                    _("{label}：{state}").format(
                        label=i.label, state=_("未达到") if i.met is False else _("未核实")
                    )
                    for i in unmet
                ),
            )
        )
    pending = [c for c in facts.commitments if c.get("status") in OPEN_COMMITMENTS]
    if pending:
        found.append(
            CheckItem(
                "policies_pending",
                _("帮扶政策措施尚未落实到位"),
                False,
                tuple(
                    _("“{promised}”尚未兑现{due}。").format(
                        promised=c.get("promised") or c.get("measure"),
                        due=_("（应于{date}前完成）").format(date=str(c["due_date"])[:10])
                        if c.get("due_date")
                        else "",
                    )
                    for c in pending
                ),
            )
        )
    h = facts.household
    reasons = []
    if h.get("identified_year") == today.year:
        reasons.append(_("本户是{year}年新识别的贫困户。").format(year=today.year))
    if h.get("status") == "relapsed":
        reasons.append(_("本户为返贫户。"))
    if reasons:
        found.append(CheckItem("new_or_relapsed", _("当年新识别或返贫"), False, tuple(reasons)))
    return found
