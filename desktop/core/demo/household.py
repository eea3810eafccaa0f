"""One demo household: its status, causes of poverty, housing, utilities and land.

Causes are read off the members (因病 only where someone is ill, 因学 only with a student...), and
unsafe C/D housing appears only in households already under monitoring, so the rule-based checks
stay quiet on ordinary demo data and speak up exactly where a problem was planted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from desktop.core.demo import identity
from desktop.core.demo.context import Context
from desktop.core.demo.helpers import HelperPlan
from desktop.core.demo.people import Person
from desktop.core.demo.places import Village

if TYPE_CHECKING:
    from desktop.core.demo.problems import PlantedProblem

STATUSES = {
    "lifted": 62.0,
    "poor": 18.0,
    "identifying": 8.0,
    "relapsed": 5.0,
    "not_identified": 7.0,
}
HIGHER_STAGES = ("senior", "vocational", "higher_vocational", "college")
INDUSTRIES = (
    "种植茶叶",
    "养殖肉牛",
    "种植刺梨",
    "生猪养殖",
    "种植中药材",
    "种植蔬菜",
    "林下养鸡",
    "种植百香果",
    "种植李子",
    "种植烤烟",
    "养殖山羊",
    "种植食用菌",
)
RISK_BY_CAUSE = {
    "illness": "illness",
    "disability": "disability",
    "schooling": "schooling",
    "lack_labour": "lack_labour",
    "disaster": "natural_disaster",
}


@dataclass
class HouseholdPlan:
    """Everything the generator will insert for one household."""

    id: str
    number: str
    village: Village
    group_code: str
    members: list[Person]
    status: str
    monitoring_kind: str | None = None
    income_profile: str = ""
    helper: HelperPlan | None = None
    visit_overdue: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    incomes: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    planted: PlantedProblem | None = None  # the deliberate problem it carries, if any

    @property
    def current(self) -> list[Person]:
        return [p for p in self.members if p.current]

    @property
    def head(self) -> Person:
        return next(p for p in self.members if p.relation == "head")

    def household_row(self) -> dict[str, Any]:
        head = self.head
        return {
            **self.values,
            "id": self.id,
            "number": self.number,
            "county_code": self.village.township_code[:6] + "000000",
            "township_code": self.village.township_code,
            "village_code": self.village.code,
            "group_code": self.group_code,
            "head_member_id": head.id,
            "head_name": head.name,
            "size": len(self.current),
            "status": self.status,
            "monitoring_kind": self.monitoring_kind,
        }

    def member_rows(self) -> list[dict[str, Any]]:
        return [p.row(self.id, order) for order, p in enumerate(self.members)]


def choose_status(ctx: Context) -> tuple[str, str | None]:
    """The household's status and, for monitoring objects (防返贫监测), their category."""
    status = ctx.pick(STATUSES)
    kind = None
    if status == "lifted":
        roll = ctx.rng.random()
        kind = "unstable" if roll < 0.10 else "sudden_hardship" if roll < 0.12 else None
    elif status == "not_identified" and ctx.chance(0.75):
        kind = "marginal"
    return status, kind


def income_profile(status: str, kind: str | None) -> str:
    """Where the household's per-capita income sits relative to the line and the band."""
    if kind in ("unstable", "marginal"):
        return "band"
    if kind == "sudden_hardship":
        return "sudden"
    return {"poor": "poor", "identifying": "poor", "relapsed": "relapsed"}.get(status, "above_band")


def describe(ctx: Context, plan: HouseholdPlan) -> None:
    """Fill ``plan.values``: everything on the household row except its identity and summary."""
    rng, today = ctx.rng, ctx.today
    members = plan.current
    values: dict[str, Any] = plan.values
    registered = plan.status != "not_identified"
    values["standard"] = ctx.pick({"national": 85, "provincial": 15}) if registered else None
    values["category"] = _category(ctx, members) if registered else None
    dibao_people(ctx, members, values["category"])
    causes = choose_causes(ctx, members)
    values["main_cause"], values["other_cause_1"], values["other_cause_2"] = causes
    if plan.status == "identifying":
        values["identified_year"] = today.year
    elif registered:
        values["identified_year"] = rng.choices((2014, 2015, 2016), (70, 20, 10))[0]
    if plan.status in ("lifted", "relapsed"):
        last = min(2020, today.year - 1)
        values["exit_year"] = rng.randint(values["identified_year"] + 1, last)
    if plan.monitoring_kind:
        values["monitoring_since"] = today - timedelta(days=rng.randint(30, 900))
        values["risk_type"] = RISK_BY_CAUSE.get(
            causes[0] or "",
            ctx.pick({"unstable_job": 40, "failed_project": 20, "accident": 15, "other": 25}),
        )
    housing(ctx, plan)
    utilities(ctx, values)
    land(ctx, values, causes)
    values["cooperative_member"] = ctx.chance(0.45)
    values["industry_type"] = rng.choice(INDUSTRIES) if ctx.chance(0.7) else None
    values["mutual_fund"] = ctx.chance(0.15)
    values.update(
        owns_car=False, owns_commercial_housing=False, runs_business=False, away_over_year=False
    )
    worker = next((p for p in members if p.phone), None)
    values["phone"] = worker.phone if worker and ctx.chance(0.5) else identity.mobile(rng)
    values["bank_name"], values["bank_account"] = identity.bank_account(rng)
    values["plan"] = _plan_text(values)
    if plan.status == "lifted":
        values["outcome"] = "收入稳定，“两不愁三保障”和饮水安全均已达标。"


def _category(ctx: Context, members: list[Person]) -> str:
    alone_old = len(members) == 1 and members[0].age >= 60
    weak = sum(p.labour in ("ordinary", "skilled") for p in members) == 0
    if alone_old and weak and ctx.chance(0.6):
        return "tekun_poor"
    if (weak or any(p.health in ("serious", "disabled") for p in members)) and ctx.chance(0.45):
        return "dibao_poor"
    return "dibao_poor" if ctx.chance(0.12) else "general"


def dibao_people(ctx: Context, members: list[Person], category: str | None) -> None:
    """低保人口: everyone in a 特困 household, some members of a 低保 household."""
    for p in members:
        p.dibao = category == "tekun_poor" or (category == "dibao_poor" and ctx.chance(0.7))
    if category == "dibao_poor" and not any(p.dibao for p in members):
        members[0].dibao = True


def choose_causes(ctx: Context, members: list[Person]) -> tuple[str, str | None, str | None]:
    """A main cause and up to two other causes, each one the members bear out."""
    sick = any(p.sick for p in members)
    disabled = any(p.health == "disabled" for p in members)
    higher = any(p.school_status and p.school_status.startswith(HIGHER_STAGES) for p in members)
    students = any(p.student for p in members)
    able = sum(p.labour in ("ordinary", "skilled") and not p.student for p in members)
    weights = {
        "illness": 34.0 if sick else 0.0,
        "disability": 30.0 if disabled else 0.0,
        "schooling": 24.0 if higher else 6.0 if students else 0.0,
        "lack_labour": 22.0 if able <= 1 else 0.0,
        "lack_skills": 14.0,
        "lack_capital": 14.0,
        "lack_land": 5.0,
        "lack_water": 2.0,
        "poor_transport": 4.0,
        "low_motivation": 3.0,
        "disaster": 2.0,
        "other": 1.0,
    }
    main = ctx.pick(weights)
    others: list[str] = []
    for _ in range(ctx.rng.choices((0, 1, 2), (30, 45, 25))[0]):
        left = {k: v for k, v in weights.items() if v and k != main and k not in others}
        if left:
            others.append(ctx.pick(left))
    others += [None] * (2 - len(others))  # type: ignore[list-item]
    return main, others[0], others[1]


def housing(ctx: Context, plan: HouseholdPlan) -> None:
    """House size and structure; C/D (unsafe) houses only where the household is monitored."""
    rng, values = ctx.rng, plan.values
    today = ctx.today
    if ctx.chance(0.05):
        values.update(
            relocated=True,
            housing_structure="concrete",
            built_year=rng.randint(2017, min(2020, today.year)),
            housing_area=float(max(40, 20 * len(plan.current) + rng.randint(0, 10))),
            danger_grade="A",
        )
        return
    structure = ctx.pick(
        {"brick_concrete": 45, "brick_wood": 28, "concrete": 15, "earth": 7, "other": 5}
    )
    first, last = {
        "concrete": (1998, today.year - 1),
        "brick_concrete": (1990, today.year - 1),
        "brick_wood": (1975, 2012),
        "earth": (1960, 1995),
        "other": (1970, 2015),
    }[structure]
    grade = "A" if ctx.chance(0.7) else "B"
    if plan.monitoring_kind and ctx.chance(0.15):
        grade = "C" if ctx.chance(0.7) else "D"
    values.update(
        relocated=False,
        housing_structure=structure,
        built_year=rng.randint(first, last),
        housing_area=float(rng.randrange(60, 200, 5)),
        danger_grade=grade,
    )


def utilities(ctx: Context, values: dict[str, Any]) -> None:
    rng = ctx.rng
    source = ctx.pick({"tap": 68, "protected_well": 30, "bottled": 2})
    values.update(
        power_living=True,
        power_production=ctx.chance(0.8),
        water_source=source,
        water_safe=True,
        water_difficult=ctx.chance(0.03),
        fuel=ctx.pick({"firewood": 35, "electricity": 35, "gas": 15, "coal": 10, "biogas": 5}),
        sanitary_toilet=ctx.chance(0.8),
        road_distance_km=round(rng.uniform(0.02, 3.0), 2),
        road_type=ctx.pick({"paved": 75, "gravel": 20, "earth": 5}),
    )


def land(ctx: Context, values: dict[str, Any], causes: tuple[str | None, ...]) -> None:
    rng = ctx.rng
    cultivated = rng.uniform(0.2, 1.0) if "lack_land" in causes else rng.uniform(0.8, 8.0)
    paddy = cultivated * rng.uniform(0.0, 0.6)
    values.update(
        land_cultivated=round(cultivated, 1),
        land_paddy=round(paddy, 1),
        land_dry=round(round(cultivated, 1) - round(paddy, 1), 1),
        land_irrigated=round(paddy * rng.uniform(0.5, 1.0), 1),
        land_forest=round(rng.uniform(0, 12), 1) if ctx.chance(0.7) else 0.0,
        land_orchard=round(rng.uniform(0.2, 3), 1) if ctx.chance(0.4) else 0.0,
        land_water_surface=0.0,
        land_pasture=0.0,
        land_returned_forest=round(rng.uniform(0.5, 4), 1) if ctx.chance(0.3) else 0.0,
    )


def _plan_text(values: dict[str, Any]) -> str:
    industry = values.get("industry_type")
    parts = ["落实各项惠民政策"]
    if industry:
        parts.insert(0, f"发展{industry.removeprefix('种植').removeprefix('养殖')}产业")
    parts.append("稳定务工收入")
    return "，".join(parts) + "。"


def group_for(ctx: Context, village: Village) -> str:
    return ctx.rng.choice(village.groups)[0]


def head_start(ctx: Context, plan: HouseholdPlan) -> date:
    """When the household's helper was first assigned."""
    year = plan.values.get("identified_year") or ctx.today.year
    if year >= ctx.today.year:
        return ctx.today - timedelta(days=ctx.rng.randint(10, 60))
    return date(year, ctx.rng.randint(3, 12), ctx.rng.randint(1, 28))
