"""Eligibility flags ("四进七不进"): conditions for entering, or not entering, the poor list.

Each flag carries the evidence that raised it (the field, the member, the registry line), so a
village meeting can see why. Flags advise; people decide: nothing here changes a household.
Thresholds (the 2014 housing standard, what counts as a large house, "high income" while away)
come from targeting.toml and the poverty line from county.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules.idnumber import mask_id
from desktop.core.targeting.config import TargetingConfig
from desktop.core.targeting.facts import HouseholdFacts
from desktop.core.targeting.metrics import out_of_school_children, people, per_capita_income

INCLUDE, EXCLUDE = "include", "exclude"

#: code → (direction, title message id)
FLAGS: dict[str, tuple[str, str]] = {
    "in.income_below_line": (INCLUDE, "人均纯收入低于贫困线"),
    "in.child_out_of_school": (INCLUDE, "义务教育阶段子女失学辍学"),
    "in.unsafe_housing": (INCLUDE, "无房或住房为危房"),
    "in.illness_disability": (INCLUDE, "因病因残且收入在监测范围内"),
    "out.high_standard_house": (EXCLUDE, "2014年以来新建、购买或装修高标准住房"),
    "out.car": (EXCLUDE, "家庭拥有小汽车"),
    "out.commercial_housing": (EXCLUDE, "在城镇购买商品房"),
    "out.business": (EXCLUDE, "经营或投资企业、雇佣他人"),
    "out.public_salaried": (EXCLUDE, "家庭成员为财政供养人员"),
    "out.village_cadre": (EXCLUDE, "家庭成员为村干部"),
    "out.away_high_income": (EXCLUDE, "全家外出一年以上且收入较高"),
}
#: registry source → the exclusion flag its matches support
REGISTRY_FLAGS = {
    "vehicle": "out.car",
    "property": "out.commercial_housing",
    "business": "out.business",
    "salaried": "out.public_salaried",
    "cadre": "out.village_cadre",
}


@dataclass(frozen=True)
class Flag:
    code: str
    direction: str  # include | exclude
    title: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdFlags:
    household_id: str
    number: str
    head_name: str
    status: str
    flags: tuple[Flag, ...]

    @property
    def includes(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.direction == INCLUDE)

    @property
    def excludes(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.direction == EXCLUDE)

    def as_json(self) -> dict[str, Any]:
        return {
            "household_id": self.household_id,
            "household_number": self.number,
            "head_name": self.head_name,
            "status": self.status,
            "flags": [
                {
                    "code": f.code,
                    "direction": f.direction,
                    "title": f.title,
                    "evidence": list(f.evidence),
                }
                for f in self.flags
            ],
        }


def flag_title(code: str) -> str:
    return _(FLAGS[code][1])


class _Flags:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, code: str, evidence: str) -> None:
        self.found.setdefault(code, []).append(evidence)

    def result(self) -> tuple[Flag, ...]:
        return tuple(
            Flag(code, FLAGS[code][0], flag_title(code), tuple(self.found[code]))
            for code in FLAGS
            if code in self.found
        )


def evaluate_flags(facts: HouseholdFacts, config: TargetingConfig, today: date) -> HouseholdFlags:
    """Every flag the household's data raise, with evidence sentences."""
    h, rules, limits = facts.household, config.rules, config.thresholds
    flags = _Flags()
    year = max(facts.incomes) if facts.incomes else None
    income = per_capita_income(facts, year) if year is not None else None
    if year is not None and income is not None:
        line, band = rules.poverty_line(year), rules.monitoring_band(year)
        if income < line:
            flags.add(
                "in.income_below_line",
                _("{year}年人均纯收入{income:g}元，低于贫困线{line:g}元。").format(
                    year=year, income=income, line=line
                ),
            )
        sick = [m for m in facts.members if m.get("health") in ("serious", "disabled")]
        if sick and income < band:
            flags.add(
                "in.illness_disability",
                _(
                    "{names}{health}，{year}年人均纯收入{income:g}元，低于监测标准{band:g}元。"
                ).format(
                    names="、".join(m["name"] for m in sick),
                    health="、".join(sorted({codes.label("health", m["health"]) for m in sick})),
                    year=year,
                    income=income,
                    band=band,
                ),
            )
        if h.get("away_over_year") and income >= band * limits.away_income_factor:
            flags.add(
                "out.away_high_income",
                _(
                    "登记为全家外出一年以上，{year}年人均纯收入{income:g}元，不低于{limit:g}元。"
                ).format(
                    year=year, income=income, limit=round(band * limits.away_income_factor, 2)
                ),
            )
    for child in out_of_school_children(facts, today, rules.compulsory_school_ages):
        flags.add(
            "in.child_out_of_school",
            _("{name}处于义务教育年龄，登记为非在校生。").format(name=child["name"]),
        )
    area = h.get("housing_area")
    if area is not None and float(area) == 0:
        flags.add("in.unsafe_housing", _("住房面积登记为0（无房）。"))
    elif h.get("danger_grade") in ("C", "D"):
        flags.add(
            "in.unsafe_housing",
            _("住房为{grade}级危房。").format(grade=h["danger_grade"]),
        )
    _housing(flags, facts, config)
    for field, code, sentence in (
        ("owns_car", "out.car", "户信息登记为拥有小汽车。"),
        ("owns_commercial_housing", "out.commercial_housing", "户信息登记为购买了商品房。"),
        ("runs_business", "out.business", "户信息登记为经营或投资企业。"),
    ):
        if h.get(field):
            flags.add(code, _(sentence))
    for member in facts.members:
        if member.get("public_salaried"):
            flags.add(
                "out.public_salaried",
                _("{name}登记为财政供养人员。").format(name=member["name"]),
            )
        if member.get("village_cadre"):
            flags.add("out.village_cadre", _("{name}登记为村干部。").format(name=member["name"]))
        for record in facts.registry.get(member["id"], ()):
            supported = REGISTRY_FLAGS.get(record["source"])
            if supported:
                flags.add(supported, registry_evidence(member, record))
    return HouseholdFlags(
        household_id=facts.id,
        number=str(h.get("number") or ""),
        head_name=str(h.get("head_name") or ""),
        status=str(h.get("status") or ""),
        flags=flags.result(),
    )


def _housing(flags: _Flags, facts: HouseholdFacts, config: TargetingConfig) -> None:
    h, limits = facts.household, config.thresholds
    built, structure, area = h.get("built_year"), h.get("housing_structure"), h.get("housing_area")
    if built is None or structure is None or area is None:
        return
    if int(built) < limits.built_since or structure not in limits.structures:
        return
    size = people(facts)
    per_person = float(area) / size if size else float(area)
    if float(area) >= limits.area_min or per_person >= limits.area_per_person_min:
        flags.add(
            "out.high_standard_house",
            _("{year}年建成的{structure}住房，面积{area:g}平方米（人均{per:.0f}平方米）。").format(
                year=built,
                structure=codes.label("housing_structure", structure),
                area=float(area),
                per=per_person,
            ),
        )


SOURCE_LABELS = {
    "vehicle": "车辆登记名单",
    "property": "商品房登记名单",
    "business": "工商登记名单",
    "salaried": "财政供养人员名单",
    "cadre": "村干部名单",
}


def source_label(source: str) -> str:
    return _(SOURCE_LABELS.get(source, source))


def registry_evidence(member: dict[str, Any], record: dict[str, Any]) -> str:
    detail = f"：{record['detail']}" if record.get("detail") else ""
    return _("{name}（{id}）出现在{source}中{detail}（来源：{file}）。").format(
        name=member["name"],
        id=mask_id(str(member.get("id_number") or "")),
        source=source_label(record["source"]),
        detail=detail,
        file=record.get("source_file") or "",
    )
