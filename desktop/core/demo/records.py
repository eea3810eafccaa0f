"""What happens to a demo household over time: incomes, helpers, visits and assistance measures.

Incomes are built bottom-up from the members (wages only where someone works, business income
from the land, pensions and allowances from who lives there) and then scaled so the per-capita net
income lands where the household's status says it should: below the county's poverty line for
poor households, inside the monitoring band for monitoring objects, above the band for the rest.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from desktop.core.demo.context import Context
from desktop.core.demo.household import HouseholdPlan, head_start

MONTHLY_WAGE = {
    "out_of_province": 3800,
    "in_province": 3100,
    "in_county": 2500,
    "in_township": 2000,
}
VISIT_INTERVAL_DEFAULT = 75  # days, for households the rule file does not set an interval for


# ----------------------------------------------------------------------------- incomes
def income_years(ctx: Context) -> list[int]:
    """The last three years, ending with the current one (cadres measure it in the autumn)."""
    return [ctx.today.year - 2, ctx.today.year - 1, ctx.today.year]


def target_per_capita(ctx: Context, profile: str, year: int, position: int) -> float:
    """Per-capita net income for the profile in a year; ``position`` counts years from the first."""
    rng, line, band = ctx.rng, ctx.line(year), ctx.band(year)
    if profile == "poor":
        return line * rng.uniform(0.55, 0.93)
    if profile == "relapsed":
        return band * rng.uniform(1.08, 1.4) if position == 0 else line * rng.uniform(0.6, 0.93)
    if profile == "band":
        return rng.uniform(line * 1.04, band * 0.95)
    if profile == "sudden" and position == 2:
        return rng.uniform(line * 1.04, band * 0.95)
    return band * rng.uniform(1.1, 2.4) * (1.05**position)


def incomes(ctx: Context, plan: HouseholdPlan) -> None:
    rng, values, members = ctx.rng, plan.values, plan.current
    size = len(members)
    for position, year in enumerate(income_years(ctx)):
        wage = sum(
            MONTHLY_WAGE[p.work_status] * (p.work_months or 0) * rng.uniform(0.8, 1.2)
            for p in members
            if p.worker and p.work_status in MONTHLY_WAGE
        )
        business = (values.get("land_cultivated") or 0) * rng.uniform(600, 1200)
        business += (values.get("land_orchard") or 0) * rng.uniform(800, 2000)
        if values.get("industry_type"):
            business += rng.uniform(1500, 6000)
        property_income = rng.uniform(200, 900) if values.get("cooperative_member") else 0.0
        transfer = 200.0 + sum(
            (1560 if p.age >= 60 else 0)
            + (3600 if p.dibao else 0)
            + (1200 if p.health == "disabled" else 0)
            for p in members
        )
        transfer += (values.get("land_returned_forest") or 0) * 250
        cost_share = rng.uniform(0.25, 0.45)
        earned = wage + business * (1 - cost_share)
        fixed = property_income + transfer  # pensions and allowances are set by policy
        target = target_per_capita(ctx, plan.income_profile, year, position) * size
        if target > fixed * 1.05:  # earnings make up the rest
            scale, fixed_scale = (target - fixed) / earned, 1.0
        else:  # too little for the allowances alone: fewer of them this year
            scale = fixed_scale = target / (earned + fixed)
        business_amount = round(business * scale)
        plan.incomes.append(
            {
                "id": ctx.uuid(),
                "household_id": plan.id,
                "year": year,
                "wage": float(round(wage * scale)),
                "business": float(business_amount),
                "property": float(round(property_income * fixed_scale)),
                "transfer": float(round(transfer * fixed_scale)),
                "business_cost": float(max(1, round(business_amount * cost_share)))
                if business_amount > 0
                else 0.0,
            }
        )


# ----------------------------------------------------------------------------- helpers
def assignments(ctx: Context, plan: HouseholdPlan, previous: str | None) -> None:
    """The helper's dated line; sometimes an earlier helper's line that ended first."""
    if plan.helper is None:
        return
    start = head_start(ctx, plan)
    if previous and previous != plan.helper.id and start < ctx.today - timedelta(days=400):
        switch = ctx.day_within(start + timedelta(days=200), ctx.today - timedelta(days=200))
        plan.assignments.append(
            {
                "id": ctx.uuid(),
                "household_id": plan.id,
                "helper_id": previous,
                "start_date": start,
                "end_date": switch,
            }
        )
        start = switch
    plan.assignments.append(
        {
            "id": ctx.uuid(),
            "household_id": plan.id,
            "helper_id": plan.helper.id,
            "start_date": start,
            "end_date": None,
        }
    )


# ----------------------------------------------------------------------------- visits
def visit_interval(ctx: Context, plan: HouseholdPlan) -> int:
    """The county's interval for this household, found the way the visit check finds it."""
    intervals = ctx.rules.visit_interval_days
    interval = None
    if plan.monitoring_kind:
        interval = intervals.get(plan.monitoring_kind) or intervals.get("monitoring")
    return interval or intervals.get(plan.status) or VISIT_INTERVAL_DEFAULT


def visits(ctx: Context, plan: HouseholdPlan) -> None:
    """Visits over the last year, spaced so the latest is within the county's visit interval."""
    rng, today = ctx.rng, ctx.today
    interval = visit_interval(ctx, plan)
    start = min((a["start_date"] for a in plan.assignments), default=today - timedelta(days=365))
    earliest = max(today - timedelta(days=365), start)
    if plan.visit_overdue:
        day = today - timedelta(days=interval + rng.randint(20, 60))
    else:  # the latest visit is recent enough, and after the helper was assigned
        recent = min(int(interval * 0.7), max(0, (today - earliest).days))
        day = today - timedelta(days=rng.randint(0, max(0, recent)))
    dates: list[date] = []
    while day >= earliest:
        dates.append(day)
        day -= timedelta(days=rng.randint(max(7, int(interval * 0.75)), max(8, interval)))
    seen = what_a_visit_sees(plan)
    for when in reversed(dates):
        plan.visits.append(visit_row(ctx, plan, when, seen))


PURPOSES = {"routine": 55, "policy": 12, "income_check": 12, "measures": 15, "adjustment": 6}
WISHES = (
    "希望继续发展产业，增加收入。",
    "希望孩子顺利完成学业。",
    "希望就近找到稳定工作。",
    "希望改善住房条件。",
    "希望得到技术培训。",
    "暂无其他诉求。",
    "希望入户路能再修宽一点。",
)


POLICIES = (
    "已享受医保代缴和家庭医生签约服务。",
    "已落实教育资助政策。",
    "已领取产业奖补资金。",
    "已享受低保和临时救助。",
    "已参加就业技能培训。",
)


def what_a_visit_sees(plan: HouseholdPlan) -> dict[str, Any]:
    """The household's situation as visit notes describe it (the same on every visit)."""
    values, members = plan.values, plan.current
    workers = sum(p.worker for p in members)
    safe_house = values.get("danger_grade") not in ("C", "D")
    income = f"家中{workers}人务工" if workers else "家中无人外出务工"
    if values.get("industry_type"):
        income += f"，{values['industry_type']}"
    students = [p for p in members if p.student]
    sick = [p for p in members if p.health != "healthy"]
    health = (
        "、".join(f"{p.name}（{'在校' if p.student else '患病或残疾'}）" for p in students + sick)
        or "家庭成员身体健康，无在校生。"
    )
    return {
        "income_spending": income + "，收支基本平衡。",
        "living_conditions": "住房安全，生活用品齐全。"
        if safe_house
        else "房屋存在安全隐患，已上报。",
        "health_schooling": health,
        "housing_ok": safe_house,
        "water_ok": bool(values.get("water_safe")),
        "follow_ups": None if safe_house else "协调危房改造项目。",
    }


def visit_row(
    ctx: Context, plan: HouseholdPlan, when: date, seen: dict[str, Any]
) -> dict[str, Any]:
    rng = ctx.rng
    return {
        "id": ctx.uuid(),
        "household_id": plan.id,
        "helper_id": plan.helper.id if plan.helper else None,
        "visit_date": when,
        "purpose": ctx.pick(PURPOSES),
        "policies_received": rng.choice(POLICIES),
        "wishes": rng.choice(WISHES),
        "notes": None,
        "food_ok": True,
        "clothing_ok": True,
        "education_ok": True,
        "medical_ok": True,
        **seen,
        "confirmed": rng.random() < 0.9,
    }


# ----------------------------------------------------------------------------- commitments
MEASURES_BY_CAUSE: dict[str, tuple[tuple[str, str], ...]] = {
    "illness": (
        ("health", "insurance_paid"),
        ("health", "family_doctor"),
        ("health", "serious_illness_care"),
        ("health", "medical_assistance"),
    ),
    "disability": (("safety_net", "disability_allowances"), ("health", "family_doctor")),
    "schooling": (
        ("education", "yulu_plan"),
        ("education", "senior_grant"),
        ("education", "student_loan"),
    ),
    "lack_labour": (("safety_net", "dibao_enrolment"), ("employment", "public_welfare_job")),
    "lack_skills": (
        ("training", "vocational_skills_training"),
        ("training", "farming_techniques_training"),
        ("employment", "migrant_work"),
    ),
    "lack_capital": (("finance", "microcredit"), ("industry", "industry_subsidy")),
    "lack_land": (("industry", "cooperative_shares"), ("employment", "poverty_workshop")),
    "lack_water": (("infrastructure", "safe_water_project"),),
    "poor_transport": (("infrastructure", "road_hardening"),),
}
GENERAL_MEASURES = (
    ("industry", "planting"),
    ("industry", "livestock"),
    ("industry", "cooperative_shares"),
    ("employment", "migrant_work"),
    ("asset_income", "solar_income"),
    ("ecology", "forest_ranger"),
    ("finance", "agricultural_insurance"),
)
AMOUNTS = {
    "microcredit": (30000, 50000),
    "dangerous_house_renovation": (15000, 35000),
    "repair_reinforce": (8000, 15000),
    "industry_subsidy": (2000, 8000),
    "public_welfare_job": (6000, 9600),
    "forest_ranger": (6000, 10000),
    "yulu_plan": (3000, 3000),
    "senior_grant": (2000, 2500),
    "student_loan": (8000, 12000),
}
MEASURE_TEXT = {
    "microcredit": "协助申请扶贫小额信贷，用于发展产业。",
    "dangerous_house_renovation": "实施危房改造，确保住房安全。",
    "insurance_paid": "代缴城乡居民基本医疗保险个人缴费部分。",
    "family_doctor": "签约家庭医生，定期上门随访。",
    "yulu_plan": "申请雨露计划职业教育补助。",
    "public_welfare_job": "安排公益性岗位，增加工资性收入。",
}


def commitments(ctx: Context, plan: HouseholdPlan) -> None:
    rng, today, values = ctx.rng, ctx.today, plan.values
    menu: list[tuple[str, str]] = []
    for cause in (values.get("main_cause"), values.get("other_cause_1")):
        menu.extend(MEASURES_BY_CAUSE.get(cause or "", ()))
    if values.get("danger_grade") in ("C", "D"):
        menu.insert(0, ("housing", "dangerous_house_renovation"))
    menu.extend(rng.sample(GENERAL_MEASURES, 2))
    seen: set[str] = set()
    unit = plan.helper.unit if plan.helper else plan.village.name + "村民委员会"
    for category, measure in menu[: rng.choice((1, 2, 2, 3))]:
        if measure in seen:
            continue
        seen.add(measure)
        status = ctx.pick({"delivered": 55, "in_progress": 20, "planned": 20, "cancelled": 5})
        if status in ("planned", "in_progress"):
            # Most promises still open are due in the coming months; a few have slipped, as
            # on a real 台账 (about one household in ten has one overdue).
            late = rng.random() < 0.12
            due = today + timedelta(days=-rng.randint(1, 90) if late else rng.randint(7, 240))
        else:
            due = today - timedelta(days=rng.randint(0, 300))
        low, high = AMOUNTS.get(measure, (500, 5000))
        delivered = ctx.day_within(due - timedelta(days=60), due) if status == "delivered" else None
        plan.commitments.append(
            {
                "id": ctx.uuid(),
                "household_id": plan.id,
                "category": category,
                "measure": measure,
                "promised": MEASURE_TEXT.get(measure, "落实帮扶措施，按期兑现。"),
                "unit": unit,
                "helper_id": plan.helper.id if plan.helper else None,
                "amount": float(rng.randrange(low, high + 1, 100)),
                "fund_source": ctx.pick(
                    {
                        "central": 30,
                        "provincial": 15,
                        "city_county": 30,
                        "sector": 10,
                        "social": 5,
                        "credit": 5,
                        "self": 5,
                    }
                ),
                "due_date": due,
                "status": status,
                "delivered_date": delivered,
                "confirmed": status == "delivered" and rng.random() < 0.85,
                "note": "因政策调整取消。" if status == "cancelled" else None,
            }
        )
