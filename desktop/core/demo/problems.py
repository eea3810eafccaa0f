"""Deliberate data problems planted in the demo county, for the data checks to find.

About 4% of demo households carry exactly one problem that the services accept (they are
contradictions between fields, not invalid values) but the national data checks flag. Each one is
named by the rule code of the check that should find it (desktop/core/rules/rule_codes.py), so a
test can assert that every planted problem is found — and the GUI has something to show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from desktop.core.demo.context import Context
from desktop.core.demo.household import HouseholdPlan
from desktop.core.demo.people import FamilyBuilder, Person
from desktop.core.i18n import _

RATE = 0.04


@dataclass(frozen=True)
class PlantedProblem:
    """One planted problem: the check's rule code, where it is, and what was done."""

    rule: str
    household_id: str
    household_number: str
    member_id: str | None
    description: str


MemberHook = Callable[[Context, FamilyBuilder, HouseholdPlan], Person | None]
PlanHook = Callable[[Context, HouseholdPlan], None]


@dataclass(frozen=True)
class Kind:
    rule: str
    description: str  # Chinese message id
    shape: str | None = None
    status: str = "poor"
    members: MemberHook | None = None
    household: PlanHook | None = None
    records: PlanHook | None = None


# ----------------------------------------------------------------------------- member hooks
def _children(plan: HouseholdPlan, low: int = 6, high: int = 15) -> list[Person]:
    return [p for p in plan.current if low <= p.age <= high]


def _blank_ethnicity(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    person = ctx.rng.choice(plan.current)
    person.ethnicity = None
    return person


def _blank_education(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    person = ctx.rng.choice([p for p in plan.current if p.age >= 18])
    person.education = None
    return person


def _blank_school_status(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    child = _children(plan)[0]
    child.school_status = None
    return child


def _child_work_months(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    child = _children(plan)[0]
    child.work_status, child.work_months = "not_working", ctx.rng.randint(3, 8)
    return child


def _healthy_no_labour(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    head = plan.head
    head.health, head.labour, head.work_status, head.work_months = (
        "healthy",
        "none",
        "not_working",
        None,
    )
    return head


def _young_senior(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    child = _children(plan, 10, 14)[0]
    child.school_status, child.education = "senior1", "senior"
    return child


def _child_out_of_school(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    child = _children(plan, 7, 14)[0]
    child.school_status, child.education = "not_in_school", "primary"
    return child


def _same_gender_spouse(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> Person:
    head = plan.head
    index, spouse = next((i, p) for i, p in enumerate(plan.members) if p.relation == "spouse")
    twin = b.person("spouse", head.gender, spouse.age, spouse.name[0], spouse.ethnicity or "01")
    plan.members[index] = twin
    return twin


def _everyone(health: str) -> MemberHook:
    def heal(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> None:
        for person in plan.current:
            if person.health == health or (health == "chronic" and person.sick):
                person.health = "healthy"
                b._labour(person)
                b._work(person)
        return None

    return heal


def _nobody_works(ctx: Context, b: FamilyBuilder, plan: HouseholdPlan) -> None:
    for person in plan.current:
        if person.work_status is not None:
            person.work_status, person.work_months = "not_working", None
    return None


# ----------------------------------------------------------------------------- household hooks
def _main_cause(cause: str) -> PlanHook:
    def set_cause(ctx: Context, plan: HouseholdPlan) -> None:
        values = plan.values
        values["main_cause"] = cause
        for key in ("other_cause_1", "other_cause_2"):
            if values.get(key) == cause:
                values[key] = None

    return set_cause


def _repeat_cause(ctx: Context, plan: HouseholdPlan) -> None:
    plan.values["other_cause_1"] = plan.values["main_cause"]


def _unsafe_house(ctx: Context, plan: HouseholdPlan) -> None:
    plan.values.update(
        danger_grade=ctx.rng.choice(("C", "D")),
        relocated=False,
        housing_structure="earth",
        built_year=ctx.rng.randint(1965, 1990),
    )


def _no_helper(ctx: Context, plan: HouseholdPlan) -> None:
    plan.helper = None


def _overdue(ctx: Context, plan: HouseholdPlan) -> None:
    plan.visit_overdue = True


def _in_band(ctx: Context, plan: HouseholdPlan) -> None:
    plan.income_profile = "band"


def _no_exit_year(ctx: Context, plan: HouseholdPlan) -> None:
    plan.values["exit_year"] = None


# ----------------------------------------------------------------------------- record hooks
def _no_costs(ctx: Context, plan: HouseholdPlan) -> None:
    for income in plan.incomes:
        income["business"] = income["business"] or 1200.0
        income["business_cost"] = 0.0


def _wages_anyway(ctx: Context, plan: HouseholdPlan) -> None:
    for income in plan.incomes:
        income["wage"] = income["wage"] or float(ctx.rng.randrange(2000, 6000, 100))


KINDS: tuple[Kind, ...] = (
    Kind("member.ethnicity_blank", "成员民族为空", members=_blank_ethnicity),
    Kind(
        "member.school_status_blank",
        "学龄儿童在校生状况为空",
        "school_family",
        members=_blank_school_status,
    ),
    Kind(
        "household.illness_no_patient",
        "因病致贫但家庭成员都健康",
        "school_family",
        members=_everyone("chronic"),
        household=_main_cause("illness"),
    ),
    Kind(
        "member.work_months_not_working",
        "未成年子女填写了务工时间",
        "school_family",
        members=_child_work_months,
    ),
    Kind(
        "member.healthy_no_labour",
        "健康的劳动年龄户主填为无劳动力",
        "school_family",
        members=_healthy_no_labour,
    ),
    Kind("household.cause_repeat", "其他致贫原因与主要致贫原因相同", household=_repeat_cause),
    Kind(
        "household.head_spouse_same_gender",
        "户主与配偶性别相同",
        "couple_children",
        members=_same_gender_spouse,
    ),
    Kind(
        "household.dangerous_house_unmonitored",
        "住C/D级危房但未纳入监测",
        status="lifted",
        household=_unsafe_house,
    ),
    Kind("household.no_helper", "没有帮扶责任人", household=_no_helper),
    Kind(
        "household.business_without_cost", "有生产经营性收入但没有生产经营性支出", records=_no_costs
    ),
    Kind(
        "household.disability_no_disabled",
        "因残致贫但家庭成员中无残疾人",
        "school_family",
        members=_everyone("disabled"),
        household=_main_cause("disability"),
    ),
    Kind(
        "household.schooling_no_student",
        "因学致贫但家中无在校生",
        "elderly",
        household=_main_cause("schooling"),
    ),
    Kind(
        "member.senior_too_young",
        "14岁以下的孩子填为高中在读",
        "school_family",
        members=_young_senior,
    ),
    Kind(
        "household.wage_no_worker",
        "有工资性收入但家中无人务工",
        "school_family",
        members=_nobody_works,
        records=_wages_anyway,
    ),
    Kind("household.visit_overdue", "超过走访间隔没有走访", status="lifted", household=_overdue),
    Kind(
        "household.band_unmonitored",
        "已脱贫户收入在监测范围内但未纳入监测",
        status="lifted",
        household=_in_band,
    ),
    Kind(
        "household.exit_year_missing",
        "已脱贫户没有填写脱贫年度",
        status="lifted",
        household=_no_exit_year,
    ),
    Kind("member.education_blank", "成年成员文化程度为空", members=_blank_education),
    Kind(
        "member.compulsory_not_in_school",
        "义务教育阶段的孩子填为非在校生",
        "school_family",
        members=_child_out_of_school,
    ),
)


def planted_slots(ctx: Context, households: int) -> dict[int, Kind]:
    """Which household (by position) gets which problem: about 4%, every kind at least once
    when there are enough households, spread over the whole county."""
    if households < 2:
        return {}
    count = max(math.ceil(households * RATE), min(len(KINDS), households // 4))
    positions = sorted(ctx.rng.sample(range(households), count))
    return {position: KINDS[i % len(KINDS)] for i, position in enumerate(positions)}


def record(kind: Kind, plan: HouseholdPlan, member: Person | None) -> PlantedProblem:
    return PlantedProblem(
        kind.rule, plan.id, plan.number, member.id if member else None, _(kind.description)
    )
